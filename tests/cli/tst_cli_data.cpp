// peft-studio-cli data inspect: the JSON contract, the cache, and bad records failing with one
// "FILE:LINE: ..." line (or being skipped and listed with --skip-bad).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

namespace {

struct CliResult {
    int exitCode = -1;
    QString out;
    QString err;
};

} // namespace

class TestCliData final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    const QString model_ = QStringLiteral(PS_FIXTURES "/tokenizers/gpt2");

    CliResult run(QStringList args) {
        args.prepend(QStringLiteral("inspect"));
        args.prepend(QStringLiteral("data"));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PEFT_STUDIO_CACHE"), dir_.path() + QStringLiteral("/cache"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(PS_CLI), args);
        p.waitForFinished(120000);
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError())};
    }

    QString write(const char* name, const std::string& text) {
        const QString path = dir_.path() + QLatin1Char('/') + QLatin1String(name);
        std::ofstream(path.toStdString(), std::ios::binary) << text;
        return path;
    }

private Q_SLOTS:
    void inspectDemoAsJson() {
        const QString demo = QStringLiteral(PS_SOURCE_DIR "/resources/demo/instructions.jsonl");
        const QStringList args = {QStringLiteral("--model"),    model_,
                                  QStringLiteral("--data"),     demo,
                                  QStringLiteral("--template"), QStringLiteral("alpaca"),
                                  QStringLiteral("--json")};
        const CliResult r = run(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        for (const char* key : {"format", "format_reason", "num_records", "num_skipped", "errors", "num_examples",
                                "num_tokens", "num_trained_tokens", "num_truncated", "length", "sample"})
            QVERIFY2(j.contains(QLatin1String(key)), key);
        QCOMPARE(j[QStringLiteral("format")].toString(), QStringLiteral("alpaca"));
        QCOMPARE(j[QStringLiteral("format_reason")].toString(),
                 QStringLiteral("records have instruction/output fields → alpaca"));
        QCOMPARE(j[QStringLiteral("num_records")].toInt(), 480);
        QCOMPARE(j[QStringLiteral("num_skipped")].toInt(), 0);
        QCOMPARE(j[QStringLiteral("errors")].toArray().size(), 0);
        QCOMPARE(j[QStringLiteral("num_examples")].toInt(), 480);
        QCOMPARE(j[QStringLiteral("num_truncated")].toInt(), 0);
        QVERIFY(j[QStringLiteral("num_trained_tokens")].toInt() < j[QStringLiteral("num_tokens")].toInt());
        const QJsonObject len = j[QStringLiteral("length")].toObject();
        for (const char* key : {"min", "mean", "p50", "p95", "max"})
            QVERIFY2(len.contains(QLatin1String(key)), key);
        QVERIFY(len[QStringLiteral("min")].toInt() <= len[QStringLiteral("p50")].toInt());
        QVERIFY(len[QStringLiteral("p95")].toInt() <= len[QStringLiteral("max")].toInt());
        const QJsonObject sample = j[QStringLiteral("sample")].toObject();
        QVERIFY(sample[QStringLiteral("text")].toString().contains(QStringLiteral("### Instruction:\n")));
        QVERIFY(sample[QStringLiteral("trained_text")].toString().endsWith(QStringLiteral("<|endoftext|>")));

        const CliResult again = run(args); // from the cache: same answer
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(again.out, r.out);
    }

    void badRecordFailsWithOneLine() {
        const QString p = write("bad.jsonl", "{\"instruction\": \"a\", \"output\": \"b\"}\n"
                                             "{\"instruction\": \"x\", \"input\": \"y\"}\n");
        CliResult r = run({QStringLiteral("--model"), model_, QStringLiteral("--data"), p, QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.out, QString());
        QCOMPARE(r.err, QStringLiteral("peft-studio-cli: error: ") + p +
                            QStringLiteral(":2: expected field 'output' (found: instruction, input)\n"));

        r = run({QStringLiteral("--model"), model_, QStringLiteral("--data"), p, QStringLiteral("--skip-bad"),
                 QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j[QStringLiteral("num_records")].toInt(), 2);
        QCOMPARE(j[QStringLiteral("num_skipped")].toInt(), 1);
        QCOMPARE(j[QStringLiteral("num_examples")].toInt(), 1);
        const QJsonObject e = j[QStringLiteral("errors")].toArray().at(0).toObject();
        QCOMPARE(e[QStringLiteral("line")].toInt(), 2);
        QCOMPARE(e[QStringLiteral("message")].toString(),
                 QStringLiteral("expected field 'output' (found: instruction, input)"));
    }

    void formatOverrideAndBadOptions() {
        const QString p = write("pc.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}\n");
        CliResult r = run({QStringLiteral("--model"), model_, QStringLiteral("--data"), p, QStringLiteral("--format"),
                           QStringLiteral("text")});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err, QStringLiteral("peft-studio-cli: error: ") + p +
                            QStringLiteral(":1: expected field 'text' (found: prompt, completion)\n"));
        r = run({QStringLiteral("--model"), model_, QStringLiteral("--data"), p, QStringLiteral("--format"),
                 QStringLiteral("csvish")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.startsWith(QStringLiteral("peft-studio-cli: error: --format 'csvish' is not a known format")));
        r = run({QStringLiteral("--model"), model_, QStringLiteral("--data"), p, QStringLiteral("--cutoff-len"),
                 QStringLiteral("1")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains(QStringLiteral("--cutoff-len must be between 2")));
        r = run({QStringLiteral("--model"), model_, QStringLiteral("--data"), p});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("format     prompt_completion: records have prompt/completion fields")));
    }
};

QTEST_APPLESS_MAIN(TestCliData)
#include "tst_cli_data.moc"
