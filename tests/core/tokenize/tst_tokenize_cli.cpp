// The CLI contract of issue 3: tokenize / detokenize / template.
#include "cli_runner.h"

#include "ps/tokenizer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

namespace {

const std::string kGpt2 = PS_FIXTURES "/tokenizers/gpt2";
const std::string kQwen = PS_FIXTURES "/tokenizers/qwen2-bpe";


ps::test::CliResult runCli(const std::vector<std::string>& args) {
    QStringList list;
    for (const auto& a : args)
        list << QString::fromStdString(a);
    return ps::test::runCli(list);
}

} // namespace

class TestTokenizeCli final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tokenizeText();
    void tokenizeJsonl();
    void detokenize();
    void templateTextAndMask();
    void errorsAreOneLine();
    void deeplyNestedJsonIsRefused();

private:
    QTemporaryDir tmp_;
};

void TestTokenizeCli::tokenizeText() {
    auto r = runCli({"tokenize", "--model", kGpt2, "--text", "Hello world"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QStringLiteral("15496 995\n"));
    r = runCli(
        {"tokenize", "--model", PS_FIXTURES "/tokenizers/llama2-spm", "--text", "Hello world", "--add-special-tokens"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QStringLiteral("1 902 282 1424 290 278 297\n"));
}

void TestTokenizeCli::tokenizeJsonl() {
    const std::string in = tmp_.filePath(QStringLiteral("in.jsonl")).toStdString();
    {
        std::ofstream f(in);
        f << "{\"text\": \"Hello world\"}\n{\"text\": \"\"}\n{\"text\": \"The quick brown fox jumps over the lazy "
             "dog.\", \"other\": 1}\n";
    }
    const auto r = runCli({"tokenize", "--model", kGpt2, "--jsonl", in});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QStringLiteral("{\"ids\":[15496,995]}\n{\"ids\":[]}\n"
                                   "{\"ids\":[464,2068,7586,21831,18045,625,262,16931,3290,13]}\n"));
}

void TestTokenizeCli::detokenize() {
    auto r = runCli({"detokenize", "--model", kGpt2, "--ids", "15496 995 50256"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QStringLiteral("Hello world<|endoftext|>\n"));
    r = runCli({"detokenize", "--model", kGpt2, "--ids", "15496,995,50256", "--skip-special-tokens"});
    QCOMPARE(r.out, QStringLiteral("Hello world\n"));
}

void TestTokenizeCli::templateTextAndMask() {
    const std::string msgs = tmp_.filePath(QStringLiteral("msgs.json")).toStdString();
    {
        std::ofstream f(msgs);
        f << R"([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}])";
    }
    const auto r = runCli({"template", "--model", kQwen, "--messages", msgs, "--template", "chatml"});
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = r.out.split(QLatin1Char('\n'));
    // text (4 lines), empty line, template, ids, mask
    QCOMPARE(lines.mid(0, 4).join(QLatin1Char('\n')),
             QStringLiteral("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>"));
    QCOMPARE(lines.value(5), QStringLiteral("template: chatml"));
    QVERIFY(lines.value(6).startsWith(QStringLiteral("ids: 3001 ")));
    const QString mask = lines.value(7);
    QVERIFY(mask.startsWith(QStringLiteral("mask: ")));
    const QStringList bits = mask.mid(6).split(QLatin1Char(' '));
    QCOMPARE(bits.size(), lines.value(6).mid(5).split(QLatin1Char(' ')).size());
    // ... <|im_start|> assistant \n Hello <|im_end|> \n: the last two masked, the final \n not.
    QCOMPARE(bits.mid(bits.size() - 3).join(QLatin1Char(' ')), QStringLiteral("1 1 0"));

    const auto w = runCli({"template", "--model", kQwen, "--messages", msgs});
    QCOMPARE(w.exitCode, 0);
    QVERIFY(w.err.contains(QStringLiteral("warning: chat template not recognised")));

    const auto j = runCli({"template", "--model", kQwen, "--messages", msgs, "--template", "chatml", "--json"});
    QCOMPARE(j.exitCode, 0);
    QVERIFY(j.out.contains(QStringLiteral("\"assistant_mask\":[")));
}

void TestTokenizeCli::errorsAreOneLine() {
    auto r = runCli({"tokenize", "--model", tmp_.path().toStdString(), "--text", "x"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.err.contains(QStringLiteral("no tokenizer.json or tokenizer.model")));
    r = runCli({"template", "--model", kQwen, "--messages", tmp_.filePath(QStringLiteral("none.json")).toStdString(),
                "--template", "nope"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.err.contains(QStringLiteral("error:")));
    r = runCli({"tokenize", "--model", kGpt2});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.err.contains(QStringLiteral("--text")));
}

// JSON nested 10^5 deep (a stack-overflow attempt) gets the same one-line refusal as in core.
void TestTokenizeCli::deeplyNestedJsonIsRefused() {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const std::string jsonl = tmp_.filePath(QStringLiteral("deep.jsonl")).toStdString();
    std::ofstream(jsonl) << "{\"text\": \"fine\"}\n{\"text\": " << deep << "}\n";
    auto r = runCli({"tokenize", "--model", kGpt2, "--jsonl", jsonl});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("deep.jsonl line 2: JSON nested deeper than 512 levels")), qPrintable(r.err));
    const std::string messages = tmp_.filePath(QStringLiteral("deep.json")).toStdString();
    std::ofstream(messages) << deep;
    r = runCli({"template", "--model", kQwen, "--messages", messages});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("deep.json: JSON nested deeper than 512 levels")), qPrintable(r.err));
}

QTEST_APPLESS_MAIN(TestTokenizeCli)
#include "tst_tokenize_cli.moc"
