// loadCausalLM's contract: every parameter comes from the checkpoint tensor of the same name;
// missing or mis-shaped ones are errors naming the tensor (never random), unused ones are
// reported, a missing untied head falls back to the embedding, dtype conversion on request.
#include "model_test_util.h"

#include "ps/error.h"
#include "util/file_util.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace ps;

namespace {

// Copies a fixture's config.json into `dir` and writes its tensors after `edit`.
std::string editedCopy(const QTemporaryDir& tmp, const std::string& fixture,
                       const std::function<void(NamedTensors&)>& edit) {
    const std::string dir = tmp.path().toStdString();
    writeFileAtomic(dir + "/config.json", readFile(test::modelFixture(fixture) + "/config.json"));
    auto tensors = loadAllTensors(test::modelFixture(fixture) + "/model.safetensors");
    edit(tensors);
    saveTensors(dir + "/model.safetensors", tensors);
    return dir;
}

QString errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

} // namespace

class TestLoadWeights final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void missingWeightIsNamed() {
        QTemporaryDir tmp;
        const auto dir = editedCopy(tmp, "tiny-llama", [](NamedTensors& t) {
            t.erase(std::remove_if(t.begin(), t.end(),
                                   [](const auto& p) { return p.first == "model.layers.1.mlp.up_proj.weight"; }),
                    t.end());
        });
        const QString msg = errorOf([&] { model::loadCausalLM(dir); });
        QVERIFY2(msg.contains(QStringLiteral("no tensor 'model.layers.1.mlp.up_proj.weight'")), qPrintable(msg));
        QVERIFY2(msg.contains(QStringLiteral("[176, 64]")), qPrintable(msg));
    }

    void misShapedWeightIsNamedWithBothShapes() {
        QTemporaryDir tmp;
        const auto dir = editedCopy(tmp, "tiny-gpt2", [](NamedTensors& t) {
            for (auto& [name, value] : t)
                if (name == "transformer.h.0.attn.c_attn.weight")
                    value = value.t().contiguous(); // [192, 64] instead of Conv1D's [64, 192]
        });
        const QString msg = errorOf([&] { model::loadCausalLM(dir); });
        QVERIFY2(msg.contains(QStringLiteral("tensor 'transformer.h.0.attn.c_attn.weight' has shape [192, 64]")),
                 qPrintable(msg));
        QVERIFY2(msg.contains(QStringLiteral("expects [64, 192]")), qPrintable(msg));
    }

    void unusedWeightsAreReported() {
        QTemporaryDir tmp;
        const auto dir = editedCopy(tmp, "tiny-llama", [](NamedTensors& t) {
            t.emplace_back("model.layers.0.self_attn.rotary_emb.inv_freq", torch::ones({8}));
            t.emplace_back("score.weight", torch::ones({2, 64}));
        });
        model::LoadReport report;
        model::loadCausalLM(dir, {}, &report);
        QCOMPARE(report.unusedWeights,
                 (std::vector<std::string>{"model.layers.0.self_attn.rotary_emb.inv_freq", "score.weight"}));
    }

    void missingUntiedHeadUsesTheEmbedding() {
        QTemporaryDir tmp;
        const auto dir = editedCopy(tmp, "tiny-llama", [](NamedTensors& t) {
            t.erase(std::remove_if(t.begin(), t.end(), [](const auto& p) { return p.first == "lm_head.weight"; }),
                    t.end());
        });
        model::LoadReport report;
        auto m = model::loadCausalLM(dir, {}, &report);
        QVERIFY(report.lmHeadTiedByFallback);
        QVERIFY(m->lmHead()->weight.is_same(m->embeddingWeight()) ||
                m->lmHead()->weight.data_ptr() == m->embeddingWeight().data_ptr());
    }

    void tiedHeadSharesTheEmbedding() {
        auto m = model::loadCausalLM(test::modelFixture("tiny-llama-tied"));
        QCOMPARE(m->lmHead()->weight.data_ptr(), m->embeddingWeight().data_ptr());
        // Converting the model keeps the tie.
        m->to(torch::kBFloat16);
        QCOMPARE(m->lmHead()->weight.scalar_type(), torch::kBFloat16);
        QCOMPARE(m->lmHead()->weight.data_ptr(), m->embeddingWeight().data_ptr());
    }

    void checkpointWithoutBasePrefixLoads() {
        // The original gpt2 upload was saved from GPT2Model: "h.0.attn..." without "transformer.".
        QTemporaryDir tmp;
        const auto dir = editedCopy(tmp, "tiny-gpt2", [](NamedTensors& t) {
            for (auto& [name, value] : t)
                if (name.rfind("transformer.", 0) == 0)
                    name = name.substr(12);
        });
        const auto ref = test::loadReference("tiny-gpt2");
        auto m = model::loadCausalLM(dir);
        QVERIFY(test::maxAbsDiff(test::logitsOf(m, ref.inputIds), ref.logits) <= 1e-4);
    }

    void dtypes_data() {
        QTest::addColumn<QString>("stored");
        QTest::addColumn<QString>("requested");
        QTest::addColumn<QString>("expected");
        QTest::newRow("f32 checkpoint as stored") << QStringLiteral("f32") << QString() << QStringLiteral("f32");
        QTest::newRow("f32 checkpoint as bf16")
            << QStringLiteral("f32") << QStringLiteral("bf16") << QStringLiteral("bf16");
        QTest::newRow("bf16 checkpoint as stored") << QStringLiteral("bf16") << QString() << QStringLiteral("bf16");
        QTest::newRow("bf16 checkpoint as f32")
            << QStringLiteral("bf16") << QStringLiteral("f32") << QStringLiteral("f32");
    }
    void dtypes() {
        QFETCH(QString, stored);
        QFETCH(QString, requested);
        QFETCH(QString, expected);
        auto dtypeOf = [](const QString& s) {
            return s == QStringLiteral("bf16") ? torch::kBFloat16 : torch::kFloat32;
        };
        QTemporaryDir tmp;
        const auto dir = editedCopy(tmp, "tiny-llama", [&](NamedTensors& t) {
            for (auto& [name, value] : t)
                value = value.to(dtypeOf(stored));
        });
        model::LoadOptions opts;
        if (!requested.isEmpty())
            opts.dtype = dtypeOf(requested);
        auto m = model::loadCausalLM(dir, opts);
        for (const auto& p : m->named_parameters())
            QCOMPARE(p.value().scalar_type(), dtypeOf(expected));
        const auto ref = test::loadReference("tiny-llama");
        const auto logits = test::logitsOf(m, ref.inputIds).to(torch::kFloat32);
        QVERIFY(torch::isfinite(logits).all().item<bool>());
        QVERIFY((logits - ref.logits).abs().mean().item<double>() < 0.05);
    }

    void copiedWeightsAreWritable() {
        model::LoadOptions opts;
        opts.copyWeights = true;
        auto m = model::loadCausalLM(test::modelFixture("tiny-llama"), opts);
        torch::NoGradGuard noGrad;
        for (auto& p : m->parameters())
            p.mul_(1.0); // would fault on a read-only mapping
        QVERIFY(true);
    }

    void randomModelHasStateDictNames() {
        auto c = model::loadModelConfig(test::modelFixture("tiny-gpt2"));
        auto m = model::randomCausalLM(c, 3);
        std::vector<std::string> names;
        for (const auto& p : m->named_parameters())
            names.push_back(p.key());
        QCOMPARE(names.front(), std::string("transformer.wte.weight"));
        QCOMPARE(names[1], std::string("transformer.wpe.weight"));
        QCOMPARE(names[2], std::string("transformer.h.0.ln_1.weight"));
        QCOMPARE(names.back(), std::string("transformer.ln_f.bias"));
        QVERIFY(std::find(names.begin(), names.end(), "transformer.h.1.mlp.c_proj.bias") != names.end());
        // transformers' init: unit norms, zero biases, N(0, initializer_range) weights.
        QCOMPARE(m->named_parameters()["transformer.h.0.ln_1.weight"].sum().item<double>(), 64.0);
        QCOMPARE(m->named_parameters()["transformer.h.0.attn.c_attn.bias"].abs().sum().item<double>(), 0.0);
        const double std = m->embeddingWeight().std().item<double>();
        QVERIFY(std > 0.18 && std < 0.22);
    }
};

QTEST_APPLESS_MAIN(TestLoadWeights)
#include "tst_load_weights.moc"
