// Every model fixture reproduces the logits transformers computed (fp32, max abs diff <= 1e-4)
// through the C++ API and through `peft-studio-cli forward`; parameter names are the HF
// state-dict keys; bf16 loading works; gradient checkpointing gives the same gradients.
#include "model_test_util.h"

#include "ps/error.h"
#include "ps/inference.h"
#include "ps/safetensors.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace ps;

namespace {

QString idsArgument(const torch::Tensor& ids) {
    QStringList rows;
    for (std::int64_t r = 0; r < ids.size(0); ++r) {
        QStringList row;
        for (std::int64_t t = 0; t < ids.size(1); ++t)
            row << QString::number(ids[r][t].item<std::int64_t>());
        rows << row.join(QLatin1Char(','));
    }
    return rows.join(QLatin1Char(';'));
}

struct CliResult {
    int exitCode = -1;
    QString out, err;
};

CliResult runCli(const QStringList& args) {
    QProcess p;
    p.start(QString::fromUtf8(PS_CLI), args);
    p.waitForFinished(120000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// A fixture model whose projection weights are the only tensors that train (what an adapter
// method does to its own tensors), in train (dropout) or eval mode, with or without checkpointing.
struct TrainableProjections {
    model::CausalLM model{nullptr};
    std::vector<std::pair<std::string, model::Linear>> linears;
};
TrainableProjections trainableProjections(const std::string& name, bool training, bool checkpointing) {
    model::LoadOptions opts;
    opts.copyWeights = true;
    TrainableProjections out{model::loadCausalLM(test::modelFixture(name), opts), {}};
    out.model->train(training);
    out.model->setGradientCheckpointing(checkpointing);
    for (auto& p : out.model->parameters())
        p.set_requires_grad(false);
    out.linears = out.model->linearModules();
    for (auto& [path, lin] : out.linears)
        lin->weight.set_requires_grad(true);
    return out;
}

void addFixtureRows() {
    QTest::addColumn<QString>("fixture");
    for (const QString& name : test::modelFixtureNames())
        QTest::newRow(qPrintable(name + QStringLiteral(" matches transformers"))) << name;
}

} // namespace

class TestModelForward final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void logitsMatchReference_data() { addFixtureRows(); }
    void logitsMatchReference() {
        QFETCH(QString, fixture);
        const std::string name = fixture.toStdString();
        const auto ref = test::loadReference(name);
        QVERIFY(ref.inputIds.defined() && ref.logits.defined());
        model::LoadReport report;
        auto m = model::loadCausalLM(test::modelFixture(name), {}, &report);
        QVERIFY2(report.unusedWeights.empty(), report.unusedWeights.empty() ? "" : report.unusedWeights[0].c_str());
        const auto logits = test::logitsOf(m, ref.inputIds);
        QCOMPARE(logits.sizes().vec(), ref.logits.sizes().vec());
        const double diff = test::maxAbsDiff(logits, ref.logits);
        QVERIFY2(diff <= 1e-4, qPrintable(QStringLiteral("max abs diff %1").arg(diff)));
    }

    void parameterNamesAreStateDictKeys_data() { addFixtureRows(); }
    void parameterNamesAreStateDictKeys() {
        QFETCH(QString, fixture);
        const std::string dir = test::modelFixture(fixture.toStdString());
        auto m = model::loadCausalLM(dir);
        std::set<std::string> params;
        for (const auto& p : m->named_parameters())
            params.insert(p.key());
        const auto names = SafetensorsCheckpoint::open(dir)->names();
        QCOMPARE(params, std::set<std::string>(names.begin(), names.end()));
        // Every projection is a ps::model::Linear that knows its HF module path.
        for (const auto& [path, linear] : m->linearModules(true))
            QCOMPARE(linear->path, path);
        QVERIFY(m->linearModules(true).size() == m->linearModules(false).size() + 1);
    }

    void cliForwardWritesReferenceLogits_data() { addFixtureRows(); }
    void cliForwardWritesReferenceLogits() {
        QFETCH(QString, fixture);
        const std::string name = fixture.toStdString();
        const auto ref = test::loadReference(name);
        QTemporaryDir tmp;
        const QString out = tmp.filePath(QStringLiteral("logits.safetensors"));
        const auto r = runCli({QStringLiteral("forward"), QStringLiteral("--model"),
                               QString::fromStdString(test::modelFixture(name)), QStringLiteral("--ids"),
                               idsArgument(ref.inputIds), QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto file = SafetensorsFile::open(out.toStdString());
        const TensorInfo* info = file->find("logits");
        QVERIFY(info);
        QCOMPARE(info->dtype, DType::F32);
        const auto logits = tensorFromFile(file, *info);
        QCOMPARE(logits.sizes().vec(), ref.logits.sizes().vec());
        const double diff = test::maxAbsDiff(logits, ref.logits);
        QVERIFY2(diff <= 1e-4, qPrintable(QStringLiteral("max abs diff %1").arg(diff)));
    }

    void cliForwardRejectsBadInput_data() {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("expected");
        QTest::newRow("rows of unequal length") << QStringList{QStringLiteral("--ids"), QStringLiteral("1,2,3;4,5")}
                                                << QStringLiteral("rows must have equal length");
        QTest::newRow("not a number") << QStringList{QStringLiteral("--ids"), QStringLiteral("1,x")}
                                      << QStringLiteral("'x' is not a token id");
        QTest::newRow("id outside the vocabulary") << QStringList{QStringLiteral("--ids"), QStringLiteral("1,1000")}
                                                   << QStringLiteral("token id 1000 is outside the vocabulary");
        QTest::newRow("unknown dtype") << QStringList{QStringLiteral("--ids"), QStringLiteral("1,2"),
                                                      QStringLiteral("--dtype"), QStringLiteral("fp8")}
                                       << QStringLiteral("--dtype must be fp32 or bf16");
        QTest::newRow("merge without adapter")
            << QStringList{QStringLiteral("--ids"), QStringLiteral("1,2"), QStringLiteral("--merge")}
            << QStringLiteral("--merge needs --adapter");
    }
    void cliForwardRejectsBadInput() {
        QFETCH(QStringList, extra);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        const QString out = tmp.filePath(QStringLiteral("logits.safetensors"));
        const auto r =
            runCli(QStringList{QStringLiteral("forward"), QStringLiteral("--model"),
                               QString::fromStdString(test::modelFixture("tiny-llama")), QStringLiteral("--out"), out} +
                   extra);
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count(QLatin1Char('\n')), 0); // one line
        QVERIFY(!QFile::exists(out));
    }

    void computeLogitsApi() {
        const auto ref = test::loadReference("tiny-llama");
        LogitsRequest req;
        req.modelDir = test::modelFixture("tiny-llama");
        for (std::int64_t r = 0; r < ref.inputIds.size(0); ++r) {
            const auto row = ref.inputIds[r].contiguous();
            req.rows.emplace_back(row.data_ptr<std::int64_t>(), row.data_ptr<std::int64_t>() + row.numel());
        }
        const Logits out = computeLogits(req);
        QCOMPARE(out.batch, ref.logits.size(0));
        QCOMPARE(out.seq, ref.logits.size(1));
        QCOMPARE(out.vocab, ref.logits.size(2));
        const auto t = torch::from_blob(const_cast<float*>(out.values.data()), {out.batch, out.seq, out.vocab});
        QVERIFY(test::maxAbsDiff(t, ref.logits) <= 1e-4);
        req.rows[1].pop_back();
        QVERIFY_EXCEPTION_THROWN(computeLogits(req), Error);
    }

    void bf16Load_data() { addFixtureRows(); }
    void bf16Load() {
        QFETCH(QString, fixture);
        const std::string name = fixture.toStdString();
        const auto ref = test::loadReference(name);
        model::LoadOptions opts;
        opts.dtype = torch::kBFloat16;
        auto m = model::loadCausalLM(test::modelFixture(name), opts);
        for (const auto& p : m->named_parameters())
            QCOMPARE(p.value().scalar_type(), torch::kBFloat16);
        const auto logits = test::logitsOf(m, ref.inputIds);
        QCOMPARE(logits.scalar_type(), torch::kBFloat16);
        const auto diff = (logits.to(torch::kFloat32) - ref.logits).abs();
        QVERIFY(torch::isfinite(logits).all().item<bool>());
        // bf16 keeps ~3 significant digits: logits (std ~1.7) stay close to the fp32 reference.
        QVERIFY2(diff.mean().item<double>() < 0.05, qPrintable(QString::number(diff.mean().item<double>())));
        QVERIFY2(diff.max().item<double>() < 0.5, qPrintable(QString::number(diff.max().item<double>())));
    }

    void cliForwardBf16() {
        const auto ref = test::loadReference("tiny-gpt2");
        QTemporaryDir tmp;
        const QString out = tmp.filePath(QStringLiteral("logits.safetensors"));
        const auto r = runCli({QStringLiteral("forward"), QStringLiteral("--model"),
                               QString::fromStdString(test::modelFixture("tiny-gpt2")), QStringLiteral("--ids"),
                               idsArgument(ref.inputIds), QStringLiteral("--out"), out, QStringLiteral("--dtype"),
                               QStringLiteral("bf16")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto file = SafetensorsFile::open(out.toStdString());
        QCOMPARE(file->find("logits")->dtype, DType::F32);
        const auto logits = tensorFromFile(file, *file->find("logits"));
        QVERIFY((logits - ref.logits).abs().mean().item<double>() < 0.05);
    }

    void gradientCheckpointingGivesSameGradients_data() {
        QTest::addColumn<QString>("fixture");
        QTest::newRow("gpt2 (dropout 0.1 replayed)") << QStringLiteral("tiny-gpt2");
        QTest::newRow("llama") << QStringLiteral("tiny-llama");
    }
    void gradientCheckpointingGivesSameGradients() {
        QFETCH(QString, fixture);
        const std::string name = fixture.toStdString();
        const auto ref = test::loadReference(name);
        auto gradsFor = [&](bool checkpointing) {
            auto [m, linears] = trainableProjections(name, true, checkpointing);
            torch::manual_seed(7);
            model::ForwardInput in;
            in.inputIds = ref.inputIds;
            const auto loss = m->logits(m->forward(in)).square().mean();
            loss.backward();
            std::vector<torch::Tensor> grads;
            for (auto& [path, lin] : linears)
                grads.push_back(lin->weight.grad().clone());
            return grads;
        };
        const auto plain = gradsFor(false);
        const auto ckpt = gradsFor(true);
        QCOMPARE(plain.size(), ckpt.size());
        for (std::size_t i = 0; i < plain.size(); ++i) {
            QVERIFY(plain[i].defined() && ckpt[i].defined());
            QVERIFY2(test::maxAbsDiff(plain[i], ckpt[i]) <= 1e-6 * (1.0 + plain[i].abs().max().item<double>()),
                     qPrintable(QString::number(i)));
        }
    }

    // ForwardInput::outputRows: the last layer works on the chosen rows only, and gives those rows'
    // hidden states and the same gradients as the whole forward followed by a selection.
    void outputRowsEqualSelectedRows_data() {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<bool>("checkpointing");
        for (const auto& name : test::modelFixtureNames()) {
            QTest::newRow(qPrintable(name)) << name << false;
            QTest::newRow(qPrintable(name + QStringLiteral(" (checkpointing)"))) << name << true;
        }
    }
    void outputRowsEqualSelectedRows() {
        QFETCH(QString, fixture);
        QFETCH(bool, checkpointing);
        const std::string name = fixture.toStdString();
        const auto ids = test::loadReference(name).inputIds;
        const auto B = ids.size(0), T = ids.size(1);
        // Every row of the second sequence, and a scattered third of the first.
        std::vector<std::int64_t> picked;
        for (std::int64_t p = 0; p < B * T; ++p)
            if (p >= T || p % 3 == 1)
                picked.push_back(p);
        const auto rows = torch::tensor(picked, torch::kInt64);
        auto run = [&](bool select) {
            // No dropout: the two forwards must see the same numbers.
            auto [m, linears] = trainableProjections(name, false, checkpointing);
            model::ForwardInput in;
            in.inputIds = ids;
            torch::Tensor hidden;
            if (select) {
                in.outputRows = rows;
                hidden = m->forward(in);
            } else {
                const auto full = m->forward(in);
                hidden = full.reshape({-1, full.size(-1)}).index_select(0, rows);
            }
            m->logits(hidden).square().mean().backward();
            std::vector<torch::Tensor> out{hidden.detach()};
            for (auto& [path, lin] : linears)
                out.push_back(lin->weight.grad().clone());
            return out;
        };
        const auto plain = run(false);
        const auto selected = run(true);
        QCOMPARE(selected[0].sizes(), (std::vector<std::int64_t>{static_cast<std::int64_t>(picked.size()), plain[0].size(1)}));
        QCOMPARE(plain.size(), selected.size());
        for (std::size_t i = 0; i < plain.size(); ++i)
            QVERIFY2(test::maxAbsDiff(plain[i], selected[i]) <= 1e-5 * (1.0 + plain[i].abs().max().item<double>()),
                     qPrintable(i == 0 ? QStringLiteral("hidden") : QString::number(i)));

        auto m = model::loadCausalLM(test::modelFixture(name));
        model::ForwardInput bad;
        bad.inputIds = ids;
        bad.outputRows = torch::tensor(std::vector<std::int64_t>{0, B * T}, torch::kInt64);
        QVERIFY_THROWS_EXCEPTION(ps::Error, m->forward(bad));
    }
};

QTEST_APPLESS_MAIN(TestModelForward)
#include "tst_model_forward.moc"
