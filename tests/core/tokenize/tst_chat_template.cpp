// Chat-template families: the rendered text must equal the format written out in each
// family's documentation / reference template, the ids must be the tokenization of that text,
// and the assistant mask must cover exactly each assistant turn's content and its
// end-of-turn token.
#include "tokenizer_json_builder.h"

#include "ps/chat_template.h"
#include "ps/error.h"
#include "ps/tokenizer.h"

#include <QtTest>

using namespace tokentest;

Q_DECLARE_METATYPE(ps::ChatFamily)

namespace {

const std::string kFx = std::string(PS_FIXTURES) + "/tokenizers/";

const std::vector<ps::ChatMessage> kConversation = {{"system", "You are terse."},
                                                    {"user", "What is the capital of France?"},
                                                    {"assistant", "Paris."},
                                                    {"user", "And of Italy?"},
                                                    {"assistant", "Rome."}};

// qwen2-bpe's byte-level tokenizer with extra special tokens for families it lacks.
std::string withExtraTokens(const QTemporaryDir& tmp, const std::string& name, const std::vector<std::string>& tokens,
                            const json& config) {
    auto j = json::parse(std::ifstream(kFx + "qwen2-bpe/tokenizer.json"));
    int id = 3006;
    for (const auto& t : tokens)
        j["added_tokens"].push_back(addedToken(id++, t, true));
    return writeTokenizer(tmp, name, j, config);
}

} // namespace

class TestChatTemplate final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void familyRenderings_data();
    void familyRenderings();
    void detection_data();
    void detection();
    void autoDetectsFromTheTokenizerConfig();
    void unrecognisedFallsBackToChatmlWithWarning();
    void missingSpecialTokensAreReported();
    void generationPrompt();
    void rolesMustAlternateWhereTheFamilyRequiresIt();
    void familyNames();

private:
    QTemporaryDir tmp_;
    std::string gemmaDir_, phi3Dir_;
};

void TestChatTemplate::initTestCase() {
    gemmaDir_ = withExtraTokens(tmp_, "gemma", {"<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"},
                                {{"bos_token", "<bos>"},
                                 {"eos_token", "<eos>"},
                                 {"chat_template", "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + "
                                                   "role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
                                                   "{% endfor %}"}});
    phi3Dir_ = withExtraTokens(tmp_, "phi3", {"<|user|>", "<|assistant|>", "<|system|>", "<|end|>"},
                               {{"eos_token", "<|endoftext|>"}});
}

void TestChatTemplate::familyRenderings_data() {
    QTest::addColumn<QByteArray>("tokenizerDir");
    QTest::addColumn<ps::ChatFamily>("family");
    QTest::addColumn<QByteArray>("expectedText");
    QTest::addColumn<QByteArrayList>("assistantParts");
    QTest::addColumn<QByteArray>("endToken");

    QTest::newRow("chatml (Qwen)") << QByteArray::fromStdString(kFx + "qwen2-bpe") << ps::ChatFamily::ChatML
                                   << QByteArray("<|im_start|>system\nYou are terse.<|im_end|>\n"
                                                 "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
                                                 "<|im_start|>assistant\nParis.<|im_end|>\n"
                                                 "<|im_start|>user\nAnd of Italy?<|im_end|>\n"
                                                 "<|im_start|>assistant\nRome.<|im_end|>\n")
                                   << QByteArrayList{"Paris.<|im_end|>", "Rome.<|im_end|>"} << QByteArray("<|im_end|>");
    QTest::newRow("llama3")
        << QByteArray::fromStdString(kFx + "llama3-bpe") << ps::ChatFamily::Llama3
        << QByteArray("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
                      "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>"
                      "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>"
                      "<|start_header_id|>user<|end_header_id|>\n\nAnd of Italy?<|eot_id|>"
                      "<|start_header_id|>assistant<|end_header_id|>\n\nRome.<|eot_id|>")
        << QByteArrayList{"Paris.<|eot_id|>", "Rome.<|eot_id|>"} << QByteArray("<|eot_id|>");
    QTest::newRow("llama2")
        << QByteArray::fromStdString(kFx + "llama2-spm") << ps::ChatFamily::Llama2
        << QByteArray("<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nWhat is the capital of France? [/INST]"
                      " Paris. </s><s>[INST] And of Italy? [/INST] Rome. </s>")
        << QByteArrayList{"Paris. </s>", "Rome. </s>"} << QByteArray("</s>");
    QTest::newRow("mistral") << QByteArray::fromStdString(kFx + "llama2-spm") << ps::ChatFamily::Mistral
                             << QByteArray(
                                    "<s>[INST] You are terse.\n\nWhat is the capital of France? [/INST]Paris.</s>"
                                    "[INST] And of Italy? [/INST]Rome.</s>")
                             << QByteArrayList{"Paris.</s>", "Rome.</s>"} << QByteArray("</s>");
    QTest::newRow("zephyr") << QByteArray::fromStdString(kFx + "llama2-spm") << ps::ChatFamily::Zephyr
                            << QByteArray(
                                   "<|system|>\nYou are terse.</s>\n<|user|>\nWhat is the capital of France?</s>\n"
                                   "<|assistant|>\nParis.</s>\n<|user|>\nAnd of Italy?</s>\n<|assistant|>\nRome.</s>\n")
                            << QByteArrayList{"Paris.</s>", "Rome.</s>"} << QByteArray("</s>");
    QTest::newRow("gemma")
        << QByteArray::fromStdString(gemmaDir_) << ps::ChatFamily::Gemma
        << QByteArray("<bos><start_of_turn>user\nYou are terse.\n\nWhat is the capital of France?<end_of_turn>\n"
                      "<start_of_turn>model\nParis.<end_of_turn>\n"
                      "<start_of_turn>user\nAnd of Italy?<end_of_turn>\n"
                      "<start_of_turn>model\nRome.<end_of_turn>\n")
        << QByteArrayList{"Paris.<end_of_turn>", "Rome.<end_of_turn>"} << QByteArray("<end_of_turn>");
    QTest::newRow("phi3") << QByteArray::fromStdString(phi3Dir_) << ps::ChatFamily::Phi3
                          << QByteArray(
                                 "<|system|>\nYou are terse.<|end|>\n<|user|>\nWhat is the capital of France?<|end|>\n"
                                 "<|assistant|>\nParis.<|end|>\n<|user|>\nAnd of Italy?<|end|>\n"
                                 "<|assistant|>\nRome.<|end|>\n<|endoftext|>")
                          << QByteArrayList{"Paris.<|end|>", "Rome.<|end|>"} << QByteArray("<|end|>");
    QTest::newRow("alpaca") << QByteArray::fromStdString(kFx + "gpt2") << ps::ChatFamily::Alpaca
                            << QByteArray("You are terse.\n\n### Instruction:\nWhat is the capital of France?\n\n"
                                          "### Response:\nParis.<|endoftext|>\n\n### Instruction:\nAnd of Italy?\n\n"
                                          "### Response:\nRome.<|endoftext|>\n\n")
                            << QByteArrayList{"Paris.<|endoftext|>", "Rome.<|endoftext|>"}
                            << QByteArray("<|endoftext|>");
    QTest::newRow("plain") << QByteArray::fromStdString(kFx + "gpt2") << ps::ChatFamily::Plain
                           << QByteArray(
                                  "You are terse.\nWhat is the capital of France?\nParis.<|endoftext|>\nAnd of Italy?\n"
                                  "Rome.<|endoftext|>\n")
                           << QByteArrayList{"Paris.<|endoftext|>", "Rome.<|endoftext|>"}
                           << QByteArray("<|endoftext|>");
}

void TestChatTemplate::familyRenderings() {
    QFETCH(QByteArray, tokenizerDir);
    QFETCH(ps::ChatFamily, family);
    QFETCH(QByteArray, expectedText);
    QFETCH(QByteArrayList, assistantParts);
    QFETCH(QByteArray, endToken);
    const auto tok = ps::Tokenizer::load(tokenizerDir.toStdString());
    const ps::RenderedChat r = ps::renderChat(*tok, kConversation, family);
    QCOMPARE(QByteArray::fromStdString(r.text), expectedText);
    QVERIFY2(r.warnings.empty(), r.warnings.empty() ? "" : r.warnings.front().c_str());
    QCOMPARE(r.family, family);
    // The ids are exactly the tokenizer's ids for the rendered text (what apply_chat_template gives).
    QCOMPARE(r.ids, tok->encode(r.text, false));
    QCOMPARE(r.assistantMask.size(), r.ids.size());

    // One masked run per assistant turn; each decodes to the turn's content + end token, and
    // ends with the end-of-turn token itself.
    const auto endId = tok->tokenToId(endToken.toStdString());
    QVERIFY(endId.has_value());
    std::vector<std::vector<std::int32_t>> runs;
    for (std::size_t k = 0; k < r.ids.size(); ++k) {
        if (!r.assistantMask[k])
            continue;
        if (k == 0 || !r.assistantMask[k - 1])
            runs.emplace_back();
        runs.back().push_back(r.ids[k]);
    }
    QCOMPARE(static_cast<int>(runs.size()), assistantParts.size());
    for (std::size_t k = 0; k < runs.size(); ++k) {
        std::string decoded = tok->decode(runs[k], false);
        decoded.erase(0, decoded.find_first_not_of(' '));
        QCOMPARE(QByteArray::fromStdString(decoded), assistantParts[static_cast<int>(k)]);
        QCOMPARE(runs[k].back(), *endId);
    }
    QCOMPARE(r.assistantMask.front(), std::uint8_t(0));
}

void TestChatTemplate::detection_data() {
    QTest::addColumn<QByteArray>("jinja");
    QTest::addColumn<bool>("recognised");
    QTest::addColumn<ps::ChatFamily>("family");
    QTest::newRow("chatml") << QByteArray("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                                          "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}")
                            << true << ps::ChatFamily::ChatML;
    QTest::newRow("llama3")
        << QByteArray("{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + "
                      "message['content'] | trim + '<|eot_id|>' %}")
        << true << ps::ChatFamily::Llama3;
    QTest::newRow("llama2") << QByteArray(
                                   "{{ bos_token + '[INST] ' + '<<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + content + "
                                   "' [/INST]' }}")
                            << true << ps::ChatFamily::Llama2;
    QTest::newRow("mistral") << QByteArray(
                                    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
                                    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}"
                                    "{{ message['content'] + eos_token }}{% endif %}{% endfor %}")
                             << true << ps::ChatFamily::Mistral;
    QTest::newRow("zephyr")
        << QByteArray("{% if message['role'] == 'user' %}{{ '<|user|>\\n' + message['content'] + eos_token }}"
                      "{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + message['content'] + "
                      "eos_token }}{% endif %}")
        << true << ps::ChatFamily::Zephyr;
    QTest::newRow("gemma")
        << QByteArray("{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}") << true
        << ps::ChatFamily::Gemma;
    QTest::newRow("phi3") << QByteArray("{{'<|user|>\\n' + message['content'] + '<|end|>\\n'}}{{'<|assistant|>\\n' + "
                                        "message['content'] + '<|end|>\\n'}}")
                          << true << ps::ChatFamily::Phi3;
    QTest::newRow("alpaca") << QByteArray(
                                   "{{ '### Instruction:\\n' + message['content'] + '\\n\\n' }}{{ '### Response:\\n' + "
                                   "message['content'] + eos_token }}")
                            << true << ps::ChatFamily::Alpaca;
    QTest::newRow("unknown markup") << QByteArray("{% for m in messages %}{{ m['content'] }}{% endfor %}") << false
                                    << ps::ChatFamily::ChatML;
    QTest::newRow("no template") << QByteArray() << false << ps::ChatFamily::ChatML;
}

void TestChatTemplate::detection() {
    QFETCH(QByteArray, jinja);
    QFETCH(bool, recognised);
    QFETCH(ps::ChatFamily, family);
    const ps::TemplateDetection d = ps::detectTemplateFamily(jinja.toStdString());
    QCOMPARE(d.recognised, recognised);
    QCOMPARE(d.family, family);
    QVERIFY(!d.reason.empty());
}

void TestChatTemplate::autoDetectsFromTheTokenizerConfig() {
    const auto tok = ps::Tokenizer::load(gemmaDir_);
    QVERIFY(!tok->chatTemplate().empty());
    const auto r = ps::renderChat(*tok, {{"user", "Hi"}, {"assistant", "Hello"}});
    QCOMPARE(r.family, ps::ChatFamily::Gemma);
    QVERIFY(r.warnings.empty());
    QCOMPARE(r.text,
             std::string("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"));
}

void TestChatTemplate::unrecognisedFallsBackToChatmlWithWarning() {
    const auto tok = ps::Tokenizer::load(kFx + "qwen2-bpe"); // ships no chat_template
    const auto r = ps::renderChat(*tok, {{"user", "Hi"}, {"assistant", "Hello"}});
    QCOMPARE(r.family, ps::ChatFamily::ChatML);
    QCOMPARE(r.warnings.size(), std::size_t(1));
    QVERIFY(r.warnings.front().find("not recognised") != std::string::npos);
    QVERIFY(r.warnings.front().find("chatml") != std::string::npos);
    // The user's choice overrides detection and silences the warning.
    const auto o = ps::renderChat(*tok, {{"user", "Hi"}, {"assistant", "Hello"}}, ps::ChatFamily::ChatML);
    QVERIFY(o.warnings.empty());
}

void TestChatTemplate::missingSpecialTokensAreReported() {
    const auto gpt2 = ps::Tokenizer::load(kFx + "gpt2");
    const auto r = ps::renderChat(*gpt2, {{"user", "Hi"}, {"assistant", "Hello"}}, ps::ChatFamily::ChatML);
    QCOMPARE(r.warnings.size(), std::size_t(1));
    QVERIFY(r.warnings.front().find("<|im_start|>") != std::string::npos);
    QCOMPARE(r.ids, gpt2->encode(r.text)); // still rendered, markers as plain text
    const auto qwen = ps::Tokenizer::load(kFx + "qwen2-bpe");
    const auto l = ps::renderChat(*qwen, {{"user", "Hi"}, {"assistant", "Hello"}}, ps::ChatFamily::Llama2);
    bool namesBos = false;
    for (const auto& w : l.warnings)
        namesBos = namesBos || w.find("BOS") != std::string::npos;
    QVERIFY(namesBos); // qwen2 has no BOS token
}

void TestChatTemplate::generationPrompt() {
    const auto tok = ps::Tokenizer::load(kFx + "qwen2-bpe");
    const auto r = ps::renderChat(*tok, {{"user", "Hi"}}, ps::ChatFamily::ChatML, true);
    QCOMPARE(r.text, std::string("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
    for (auto m : r.assistantMask)
        QCOMPARE(m, std::uint8_t(0));
    const auto l3 = ps::Tokenizer::load(kFx + "llama3-bpe");
    const auto g = ps::renderChat(*l3, {{"user", "Hi"}}, ps::ChatFamily::Llama3, true);
    QCOMPARE(g.text, std::string("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                                 "<|start_header_id|>assistant<|end_header_id|>\n\n"));
}

void TestChatTemplate::rolesMustAlternateWhereTheFamilyRequiresIt() {
    const auto tok = ps::Tokenizer::load(kFx + "llama2-spm");
    QVERIFY_THROWS_EXCEPTION(ps::Error, ps::renderChat(*tok, {{"user", "a"}, {"user", "b"}}, ps::ChatFamily::Llama2));
    QVERIFY_THROWS_EXCEPTION(ps::Error, ps::renderChat(*tok, {{"tool", "x"}}, ps::ChatFamily::Mistral));
    // ChatML takes any role.
    const auto q = ps::Tokenizer::load(kFx + "qwen2-bpe");
    const auto r = ps::renderChat(*q, {{"tool", "42"}}, ps::ChatFamily::ChatML);
    QCOMPARE(r.text, std::string("<|im_start|>tool\n42<|im_end|>\n"));
}

void TestChatTemplate::familyNames() {
    QCOMPARE(ps::chatFamilyFromName("Llama-3").value(), ps::ChatFamily::Llama3);
    QCOMPARE(ps::chatFamilyFromName("qwen").value(), ps::ChatFamily::ChatML);
    QCOMPARE(ps::chatFamilyFromName("PHI3").value(), ps::ChatFamily::Phi3);
    QVERIFY(!ps::chatFamilyFromName("nope"));
    for (const auto& n : ps::chatFamilyNames())
        QCOMPARE(ps::chatFamilyName(ps::chatFamilyFromName(n).value()), n);
    QCOMPARE(ps::chatFamilyNames().size(), std::size_t(9));
}

QTEST_APPLESS_MAIN(TestChatTemplate)
#include "tst_chat_template.moc"
