// peft-studio-cli generate: --ids-out prints exactly the new ids (one line) that the library's
// greedy generation gives, for a model alone and with adapters; text prompts stream text;
// option errors exit with 1.
#include "cli_runner.h"
#include "generate_test_util.h"

#include "ps/generate.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace ps;

namespace {

test::CliResult runCli(const QStringList& args) {
    return test::runCli(QStringList{QStringLiteral("generate")} + args);
}

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

} // namespace

class TstGenerateCli final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void idsOutMatchesTheLibrary_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("adapter");
        QTest::addColumn<QStringList>("extra");
        QTest::newRow("tiny-llama") << QStringLiteral("tiny-llama") << QString() << QStringList{};
        QTest::newRow("tiny-gpt2, eos ignored")
            << QStringLiteral("tiny-gpt2") << QString() << QStringList{QStringLiteral("--ignore-eos")};
        QTest::newRow("lora-r4-qv") << QString() << QStringLiteral("lora-r4-qv") << QStringList{};
        QTest::newRow("prefix-tuning, no cache")
            << QString() << QStringLiteral("prefix-tuning") << QStringList{QStringLiteral("--no-cache")};
        QTest::newRow("prompt-tuning") << QString() << QStringLiteral("prompt-tuning") << QStringList{};
        QTest::newRow("lokr merged") << QString() << QStringLiteral("lokr") << QStringList{QStringLiteral("--merge")};
    }
    void idsOutMatchesTheLibrary() {
        QFETCH(QString, model);
        QFETCH(QString, adapter);
        QFETCH(QStringList, extra);
        GeneratorConfig config;
        config.adapterDir = adapter.isEmpty() ? "" : test::adapterFixture(adapter.toStdString());
        config.modelDir =
            adapter.isEmpty() ? test::modelFixture(model.toStdString()) : test::baseOfAdapter(adapter.toStdString());
        config.mergeAdapter = extra.contains(QStringLiteral("--merge"));
        GenerationOptions options;
        options.maxNewTokens = 10;
        options.stopOnEos = !extra.contains(QStringLiteral("--ignore-eos"));
        const auto expected = Generator(config).generate({1, 17, 400, 23, 5}, options).ids;
        QStringList expectedText;
        for (const auto id : expected)
            expectedText << QString::number(id);

        QStringList args{QStringLiteral("--model"),
                         q(config.modelDir),
                         QStringLiteral("--ids"),
                         QStringLiteral("1,17,400,23,5"),
                         QStringLiteral("--max-new-tokens"),
                         QStringLiteral("10"),
                         QStringLiteral("--temperature"),
                         QStringLiteral("0"),
                         QStringLiteral("--ids-out")};
        if (!config.adapterDir.empty())
            args << QStringLiteral("--adapter") << q(config.adapterDir);
        const auto r = runCli(args + extra);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out, expectedText.join(QLatin1Char(' ')) + QLatin1Char('\n'));
    }

    void textPromptStreamsText() {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString() + "/m";
        test::writeTextModel(dir, "gpt2", 3);
        const QStringList base{QStringLiteral("--model"), q(dir), QStringLiteral("--max-new-tokens"),
                               QStringLiteral("12"), QStringLiteral("--ignore-eos")};
        const auto text = runCli(base + QStringList{QStringLiteral("--prompt"), QStringLiteral("Hello there")});
        QVERIFY2(text.exitCode == 0, qPrintable(text.err));
        QVERIFY(text.err.contains(QStringLiteral("12 tokens")));
        GenerationOptions options;
        options.maxNewTokens = 12;
        options.stopOnEos = false;
        const auto expected = Generator(test::generatorConfig(dir)).generateText("Hello there", options);
        QCOMPARE(text.out, q(expected.text) + QLatin1Char('\n'));
        // Chat on a tokenizer without a chat template: ChatML with a warning.
        const auto chat =
            runCli(base + QStringList{QStringLiteral("--prompt"), QStringLiteral("Hi"), QStringLiteral("--chat")});
        QVERIFY2(chat.exitCode == 0, qPrintable(chat.err));
        QVERIFY(chat.err.contains(QStringLiteral("warning")));
    }

    void badOptionsFail_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString m = q(test::modelFixture("tiny-llama"));
        QTest::newRow("no prompt") << QStringList{QStringLiteral("--model"), m} << QStringLiteral("exactly one");
        QTest::newRow("prompt and ids") << QStringList{QStringLiteral("--model"),  m,
                                                       QStringLiteral("--prompt"), QStringLiteral("x"),
                                                       QStringLiteral("--ids"),    QStringLiteral("1")}
                                        << QStringLiteral("exactly one");
        QTest::newRow("bad id") << QStringList{QStringLiteral("--model"), m, QStringLiteral("--ids"),
                                               QStringLiteral("1,x")}
                                << QStringLiteral("not a token id");
        QTest::newRow("id outside the vocabulary")
            << QStringList{QStringLiteral("--model"), m, QStringLiteral("--ids"), QStringLiteral("1,5000")}
            << QStringLiteral("outside the vocabulary");
        QTest::newRow("bad top-p") << QStringList{QStringLiteral("--model"), m,
                                                  QStringLiteral("--ids"),   QStringLiteral("1"),
                                                  QStringLiteral("--top-p"), QStringLiteral("0")}
                                   << QStringLiteral("top_p");
        QTest::newRow("text without a tokenizer")
            << QStringList{QStringLiteral("--model"), m, QStringLiteral("--prompt"), QStringLiteral("hi")}
            << QStringLiteral("tokenizer");
    }
    void badOptionsFail() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const auto r = runCli(args);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }
};

QTEST_APPLESS_MAIN(TstGenerateCli)
#include "tst_generate_cli.moc"
