// HF -> llama.cpp names. The expected strings are copied from llama.cpp's GGUF naming
// (gguf-py constants.py TENSOR_NAMES: "blk.{bid}.attn_q", "blk.{bid}.attn_qkv", "output", ...,
// and tensor_mapping.py, which maps e.g. "transformer.h.{bid}.attn.c_attn" (gpt2) to ATTN_QKV),
// not produced by our own mapping function.
#include "export/gguf_names.h"
#include "ps/error.h"

#include <torch/torch.h>

#include <QtTest>

using namespace ps;

class TestGgufNames final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tensorNames_data();
    void tensorNames();
    void architectures_data();
    void architectures();
    void unknownModelTypeIsRefused();
    void ropePermutationMatchesConverter_data();
    void ropePermutationMatchesConverter();
};

void TestGgufNames::tensorNames_data() {
    QTest::addColumn<QString>("modelType");
    QTest::addColumn<QString>("hfPath");
    QTest::addColumn<QString>("expected"); // "" = no llama.cpp tensor
    auto row = [](const char* name, const char* type, const char* path, const char* expected) {
        QTest::newRow(name) << QString::fromLatin1(type) << QString::fromLatin1(path) << QString::fromLatin1(expected);
    };
    row("llama q_proj", "llama", "model.layers.0.self_attn.q_proj", "blk.0.attn_q.weight");
    row("llama k_proj", "llama", "model.layers.0.self_attn.k_proj", "blk.0.attn_k.weight");
    row("llama v_proj", "llama", "model.layers.1.self_attn.v_proj", "blk.1.attn_v.weight");
    row("llama o_proj", "llama", "model.layers.1.self_attn.o_proj", "blk.1.attn_output.weight");
    row("llama gate_proj", "llama", "model.layers.0.mlp.gate_proj", "blk.0.ffn_gate.weight");
    row("llama up_proj", "llama", "model.layers.0.mlp.up_proj", "blk.0.ffn_up.weight");
    row("llama down_proj layer 31", "llama", "model.layers.31.mlp.down_proj", "blk.31.ffn_down.weight");
    row("llama lm_head", "llama", "lm_head", "output.weight");
    row("llama embed_tokens", "llama", "model.embed_tokens", "token_embd.weight");
    row("mistral q_proj", "mistral", "model.layers.7.self_attn.q_proj", "blk.7.attn_q.weight");
    row("qwen2 v_proj", "qwen2", "model.layers.23.self_attn.v_proj", "blk.23.attn_v.weight");
    row("phi3 fused qkv_proj", "phi3", "model.layers.2.self_attn.qkv_proj", "blk.2.attn_qkv.weight");
    row("phi3 fused gate_up_proj", "phi3", "model.layers.2.mlp.gate_up_proj", "blk.2.ffn_up.weight");
    row("gpt2 fused c_attn", "gpt2", "transformer.h.0.attn.c_attn", "blk.0.attn_qkv.weight");
    row("gpt2 attn c_proj", "gpt2", "transformer.h.11.attn.c_proj", "blk.11.attn_output.weight");
    row("gpt2 mlp c_fc", "gpt2", "transformer.h.3.mlp.c_fc", "blk.3.ffn_up.weight");
    row("gpt2 mlp c_proj", "gpt2", "transformer.h.3.mlp.c_proj", "blk.3.ffn_down.weight");
    row("gpt2 wte", "gpt2", "transformer.wte", "token_embd.weight");
    row("llama rotary buffer", "llama", "model.layers.0.self_attn.rotary_emb", "");
    row("llama bad layer index", "llama", "model.layers.x.self_attn.q_proj", "");
    row("llama leading zero", "llama", "model.layers.01.self_attn.q_proj", "");
    row("gpt2 path on llama", "llama", "transformer.h.0.attn.c_attn", "");
    row("llama path on gpt2", "gpt2", "model.layers.0.self_attn.q_proj", "");
    row("gpt2 q_proj does not exist", "gpt2", "transformer.h.0.attn.q_proj", "");
}

void TestGgufNames::tensorNames() {
    QFETCH(QString, modelType);
    QFETCH(QString, hfPath);
    QFETCH(QString, expected);
    const auto name = gguf::tensorNameFor(modelType.toStdString(), hfPath.toStdString());
    if (expected.isEmpty())
        QVERIFY2(!name, name ? name->c_str() : "");
    else
        QCOMPARE(QString::fromStdString(name.value_or("<none>")), expected);
}

void TestGgufNames::architectures_data() {
    QTest::addColumn<QString>("modelType");
    QTest::addColumn<QString>("architecture");
    QTest::addColumn<bool>("permute");
    QTest::newRow("llama") << "llama"
                           << "llama" << true;
    QTest::newRow("mistral converts as llama") << "mistral"
                                               << "llama" << true;
    QTest::newRow("qwen2 (neox rope, no permutation)") << "qwen2"
                                                       << "qwen2" << false;
    QTest::newRow("gemma") << "gemma"
                           << "gemma" << false;
    QTest::newRow("phi3") << "phi3"
                          << "phi3" << false;
    QTest::newRow("gpt2") << "gpt2"
                          << "gpt2" << false;
}

void TestGgufNames::architectures() {
    QFETCH(QString, modelType);
    QFETCH(QString, architecture);
    QFETCH(bool, permute);
    const auto a = gguf::architectureFor(modelType.toStdString());
    QCOMPARE(QString::fromStdString(a.architecture), architecture);
    QCOMPARE(a.permuteQK, permute);
}

void TestGgufNames::unknownModelTypeIsRefused() {
    try {
        gguf::architectureFor("bert");
        QFAIL("expected an error");
    } catch (const Error& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find("bert") != std::string::npos && msg.find("gpt2") != std::string::npos, e.what());
    }
}

void TestGgufNames::ropePermutationMatchesConverter_data() {
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("heads");
    QTest::newRow("tiny-llama q: 4 heads x 16") << 64 << 4;
    QTest::newRow("tiny-llama k: 2 kv heads x 16") << 32 << 2;
    QTest::newRow("one head of 8") << 8 << 1;
}

void TestGgufNames::ropePermutationMatchesConverter() {
    QFETCH(int, rows);
    QFETCH(int, heads);
    // convert_hf_to_gguf.py: w.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(w.shape),
    // applied here to the row indices.
    const auto expected =
        torch::arange(rows, torch::kInt64).reshape({heads, 2, rows / heads / 2}).transpose(1, 2).reshape({rows});
    const auto perm = gguf::ropeRowPermutation(rows, heads);
    QCOMPARE(perm.size(), static_cast<std::size_t>(rows));
    for (int k = 0; k < rows; ++k)
        QCOMPARE(perm[static_cast<std::size_t>(k)], expected[k].item<std::int64_t>());
    QVERIFY_EXCEPTION_THROWN(gguf::ropeRowPermutation(rows + 1, heads), Error);
}

QTEST_APPLESS_MAIN(TestGgufNames)
#include "tst_gguf_names.moc"
