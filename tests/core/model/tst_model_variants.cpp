// The llama-family variants without their own fixture, checked against the verified llama
// graph: phi3's fused qkv_proj / gate_up_proj equal separate projections holding the same
// rows; gemma equals llama with (1 + w) norm weights and sqrt(hidden)-scaled input
// embeddings; qwen2 / attention_bias / mlp_bias add exactly transformers' bias tensors.
#include "model_test_util.h"

#include <QtTest>

#include <set>

using namespace ps;

namespace {

model::ModelConfig configOf(const char* json) {
    return model::parseModelConfig(Json::parse(json), "config.json");
}

std::set<std::string> parameterNames(model::CausalLM& m) {
    std::set<std::string> out;
    for (const auto& p : m->named_parameters())
        out.insert(p.key());
    return out;
}

} // namespace

class TestModelVariants final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void phi3FusedProjectionsEqualSeparateOnes() {
        const char* dims = R"("hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":8,
            "num_key_value_heads":2,"vocab_size":300,"max_position_embeddings":128,"rms_norm_eps":1e-5,
            "initializer_range":0.2)";
        auto llama =
            model::randomCausalLM(configOf((std::string(R"({"model_type":"llama",)") + dims + "}").c_str()), 5);
        auto phi3 = model::randomCausalLM(
            configOf((std::string(R"({"model_type":"phi3","sliding_window":null,)") + dims + "}").c_str()), 6);
        auto src = llama->named_parameters();
        torch::NoGradGuard noGrad;
        for (auto& p : phi3->named_parameters()) {
            std::string name = p.key();
            auto replace = [&](const std::string& from, const std::vector<std::string>& parts) {
                const auto at = name.find(from);
                if (at == std::string::npos)
                    return false;
                std::vector<torch::Tensor> rows;
                for (const auto& part : parts)
                    rows.push_back(src[std::string(name).replace(at, from.size(), part)]);
                p.value().copy_(torch::cat(rows, 0));
                return true;
            };
            if (!replace("qkv_proj", {"q_proj", "k_proj", "v_proj"}) &&
                !replace("gate_up_proj", {"gate_proj", "up_proj"}))
                p.value().copy_(src[name]);
        }
        QVERIFY(parameterNames(phi3).count("model.layers.1.self_attn.qkv_proj.weight"));
        QVERIFY(parameterNames(phi3).count("model.layers.1.mlp.gate_up_proj.weight"));
        torch::manual_seed(3);
        const auto ids = torch::randint(0, 300, {2, 11}, torch::kInt64);
        // Fused and separate products block the GEMM differently: equal up to float32 rounding,
        // relative to the logits' size (an absolute 1e-5 failed once on unseeded random inputs under ctest -j2).
        const auto fused = test::logitsOf(phi3, ids), separate = test::logitsOf(llama, ids);
        const double scale = std::max(1.0, separate.abs().max().item<double>());
        const double diff = test::maxAbsDiff(fused, separate);
        QVERIFY2(diff <= 1e-5 * scale, qPrintable(QStringLiteral("%1 (logits up to %2)").arg(diff).arg(scale)));
    }

    void gemmaEqualsLlamaWithShiftedNormsAndScaledEmbeddings() {
        const char* dims = R"("hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,
            "num_key_value_heads":1,"head_dim":32,"vocab_size":300,"max_position_embeddings":128,"rms_norm_eps":1e-6,
            "initializer_range":0.2,"tie_word_embeddings":true)";
        auto gemma =
            model::randomCausalLM(configOf((std::string(R"({"model_type":"gemma",)") + dims + "}").c_str()), 7);
        auto llama = model::randomCausalLM(
            configOf((std::string(R"({"model_type":"llama","hidden_act":"gelu_pytorch_tanh",)") + dims + "}").c_str()),
            8);
        torch::NoGradGuard noGrad;
        auto src = gemma->named_parameters();
        for (auto& p : llama->named_parameters()) {
            auto w = src[p.key()].detach().clone();
            if (p.key().find("norm") != std::string::npos)
                w.normal_(0.0, 0.3); // gemma's norms start at zero; make them matter
            src[p.key()].copy_(w);
            p.value().copy_(p.key().find("norm") != std::string::npos ? w + 1.0 : w);
        }
        QVERIFY(!parameterNames(gemma).count("lm_head.weight")); // tied
        const auto ids = torch::randint(0, 300, {2, 9}, torch::kInt64);
        model::ForwardInput in;
        in.inputsEmbeds = llama->embed(ids) * std::sqrt(64.0);
        QVERIFY(test::maxAbsDiff(test::logitsOf(gemma, ids), test::logitsOf(llama, in)) <= 1e-5);
    }

    void biasOptionsAddTransformersBiasTensors_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QStringList>("present");
        QTest::addColumn<QStringList>("absent");
        const QString dims = QStringLiteral(
            R"("hidden_size":32,"intermediate_size":48,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":50)");
        QTest::newRow("qwen2: q/k/v bias only") << QStringLiteral(R"({"model_type":"qwen2",%1})").arg(dims)
                                                << QStringList{QStringLiteral("model.layers.0.self_attn.q_proj.bias"),
                                                               QStringLiteral("model.layers.0.self_attn.v_proj.bias")}
                                                << QStringList{QStringLiteral("model.layers.0.self_attn.o_proj.bias"),
                                                               QStringLiteral("model.layers.0.mlp.up_proj.bias")};
        QTest::newRow("llama attention_bias: q/k/v/o bias")
            << QStringLiteral(R"({"model_type":"llama","attention_bias":true,%1})").arg(dims)
            << QStringList{QStringLiteral("model.layers.0.self_attn.k_proj.bias"),
                           QStringLiteral("model.layers.0.self_attn.o_proj.bias")}
            << QStringList{QStringLiteral("model.layers.0.mlp.down_proj.bias")};
        QTest::newRow("llama mlp_bias: gate/up/down bias")
            << QStringLiteral(R"({"model_type":"llama","mlp_bias":true,%1})").arg(dims)
            << QStringList{QStringLiteral("model.layers.0.mlp.gate_proj.bias"),
                           QStringLiteral("model.layers.0.mlp.down_proj.bias")}
            << QStringList{QStringLiteral("model.layers.0.self_attn.q_proj.bias")};
    }
    void biasOptionsAddTransformersBiasTensors() {
        QFETCH(QString, json);
        QFETCH(QStringList, present);
        QFETCH(QStringList, absent);
        auto m = model::randomCausalLM(configOf(json.toUtf8().constData()), 1);
        const auto names = parameterNames(m);
        for (const auto& n : present)
            QVERIFY2(names.count(n.toStdString()), qPrintable(n));
        for (const auto& n : absent)
            QVERIFY2(!names.count(n.toStdString()), qPrintable(n));
        QVERIFY(torch::isfinite(test::logitsOf(m, torch::randint(0, 50, {1, 5}, torch::kInt64))).all().item<bool>());
    }
};

QTEST_APPLESS_MAIN(TestModelVariants)
#include "tst_model_variants.moc"
