// Formats: each one normalised to turns (or text), the detection reason, column mapping, the
// bad-record messages, and skipping bad records with a count and the first 10 reasons.
#include "data_test_util.h"

using namespace ps;
using namespace ps::testing;

namespace {
std::string roles(const DataRecord& r) {
    std::string s;
    for (const auto& m : r.messages)
        s += (s.empty() ? "" : ",") + m.role;
    return s;
}
} // namespace

class TestDataFormats final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void detection_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("reason");
        QTest::newRow("alpaca") << QByteArray(R"({"instruction": "i", "input": "", "output": "o"})") << "alpaca"
                                << "records have instruction/output fields → alpaca";
        QTest::newRow("alpaca without output still alpaca")
            << QByteArray(R"({"instruction": "i", "response": "o"})") << "alpaca"
            << "records have a 'instruction' field → alpaca";
        QTest::newRow("sharegpt")
            << QByteArray(R"({"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]})")
            << "sharegpt"
            << "records have a 'conversations' list → sharegpt";
        QTest::newRow("openai messages")
            << QByteArray(
                   R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})")
            << "messages"
            << "records have a 'messages' list of role/content turns → messages";
        QTest::newRow("sharegpt turns under messages")
            << QByteArray(R"({"messages": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]})")
            << "sharegpt"
            << "records have a 'messages' list of from/value turns → sharegpt";
        QTest::newRow("prompt completion") << QByteArray(R"({"prompt": "p", "completion": "c"})") << "prompt_completion"
                                           << "records have prompt/completion fields → prompt_completion";
        QTest::newRow("text") << QByteArray(R"({"text": "t", "meta": 1})") << "text"
                              << "records have a 'text' field → text";
    }
    void detection() {
        QFETCH(QByteArray, line);
        QFETCH(QString, format);
        QFETCH(QString, reason);
        const auto p = writeFile(dir_, "d.jsonl", line.toStdString() + "\n");
        DatasetReader reader(p);
        QCOMPARE(q(dataFormatName(reader.info().format)), format);
        QCOMPARE(q(reader.info().formatReason), reason);
    }

    void undetectableFormat() {
        const auto p = writeFile(dir_, "u.jsonl", "{\"question\": \"q\", \"answer\": \"a\"}\n");
        QCOMPARE(q(readAll(p).error),
                 q(p + ":1: cannot detect the dataset format from the fields (found: question, answer); expected "
                       "instruction/output (alpaca), conversations (sharegpt), messages (messages), prompt/completion "
                       "(prompt_completion) or text (text)"));
    }

    void columnMappingAndOverride() {
        const auto p = writeFile(dir_, "m.jsonl", "{\"question\": \"2+2?\", \"answer\": \"4\"}\n");
        ReadOptions o;
        o.columns = {{"instruction", "question"}, {"output", "answer"}};
        auto r = readAll(p, o);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(q(r.info.formatReason),
                 QStringLiteral("records have question/answer fields (as instruction/output) → alpaca"));
        QCOMPARE(q(r.records[0].messages[0].content), QStringLiteral("2+2?"));
        QCOMPARE(q(r.records[0].messages[1].content), QStringLiteral("4"));

        // Forced format: a missing field names the file's column name.
        const auto t = writeFile(dir_, "f.jsonl", "{\"question\": \"q\"}\n");
        o.format = DataFormat::Alpaca;
        r = readAll(t, o);
        QCOMPARE(q(r.error), q(t + ":1: expected field 'answer' (found: question)"));

        ReadOptions bad;
        bad.columns = {{"reply", "x"}};
        QVERIFY(q(readAll(p, bad).error).startsWith(QStringLiteral("column mapping: unknown field 'reply'")));

        ReadOptions forcedOnText;
        forcedOnText.format = DataFormat::Alpaca;
        const auto txt = writeFile(dir_, "plain.txt", "hello\n");
        QCOMPARE(q(readAll(txt, forcedOnText).error),
                 q(txt + ": a plain-text file can only be read as format 'text' (requested: alpaca)"));
    }

    void alpacaWithSystemAndHistory() {
        const auto p = writeFile(
            dir_, "a.jsonl",
            R"({"system": "Be brief.", "history": [["q1", "a1"], ["q2", "a2"]], "instruction": "Sum", "input": "1 2", "output": "3"})"
            "\n");
        const auto r = readAll(p);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(q(roles(r.records[0])), QStringLiteral("system,user,assistant,user,assistant,user,assistant"));
        QCOMPARE(q(r.records[0].messages[5].content), QStringLiteral("Sum\n1 2"));
        QCOMPARE(q(r.records[0].messages[6].content), QStringLiteral("3"));
    }

    void conversationFormats() {
        const auto s = writeFile(
            dir_, "s.jsonl",
            R"({"system": "sys", "conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}, {"from": "user", "value": "c"}, {"from": "assistant", "value": "d"}]})"
            "\n");
        auto r = readAll(s);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(q(roles(r.records[0])), QStringLiteral("system,user,assistant,user,assistant"));

        const auto m = writeFile(
            dir_, "m.jsonl",
            R"({"messages": [{"role": "developer", "content": "dev"}, {"role": "user", "content": [{"type": "text", "text": "he"}, {"type": "text", "text": "llo"}]}, {"role": "assistant", "content": "hi"}]})"
            "\n");
        r = readAll(m);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(q(roles(r.records[0])), QStringLiteral("system,user,assistant"));
        QCOMPARE(q(r.records[0].messages[1].content), QStringLiteral("hello"));
    }

    void badRecords_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown sharegpt role")
            << QByteArray(R"({"conversations": [{"from": "human", "value": "a"}, {"from": "tool", "value": "b"}]})")
            << "P:1: conversations[1]: unknown role 'tool' (expected human, gpt, system, user or assistant)";
        QTest::newRow("conversation ends with the user")
            << QByteArray(
                   R"({"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}, {"from": "human", "value": "c"}]})")
            << "P:1: the conversation must end with an assistant turn (last: user)";
        QTest::newRow("turn without value") << QByteArray(R"({"conversations": [{"from": "human", "text": "a"}]})")
                                            << "P:1: conversations[0]: expected field 'value' (found: from, text)";
        QTest::newRow("empty conversation")
            << QByteArray(R"({"conversations": []})") << "P:1: 'conversations' is empty";
        QTest::newRow("system turn in the middle")
            << QByteArray(
                   R"({"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "s"}, {"role": "assistant", "content": "b"}]})")
            << "P:1: messages[1]: a system turn is only allowed first";
        QTest::newRow("assistant first") << QByteArray(R"({"messages": [{"role": "assistant", "content": "a"}]})")
                                         << "P:1: messages[0]: the first turn must be from the user (found: assistant)";
        QTest::newRow("messages tool role")
            << QByteArray(R"({"messages": [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}]})")
            << "P:1: messages[1]: unknown role 'tool' (expected system, user or assistant)";
        QTest::newRow("content null") << QByteArray(R"({"messages": [{"role": "user", "content": null}]})")
                                      << "P:1: messages[0]: field 'content' must be a string, found null";
        QTest::newRow("history not pairs")
            << QByteArray(R"({"instruction": "i", "output": "o", "history": [["q"]]})")
            << "P:1: field 'history' must be a list of [user, assistant] string pairs; item 0 is a list of 1";
        QTest::newRow("completion missing")
            << QByteArray(R"({"prompt": "p"})") << "P:1: expected field 'completion' (found: prompt)";
    }
    void badRecords() {
        QFETCH(QByteArray, line);
        QFETCH(QString, expected);
        const auto p = writeFile(dir_, "bad.jsonl", line.toStdString() + "\n");
        QCOMPARE(q(readAll(p).error), QString(expected).replace(QStringLiteral("P"), q(p)));
    }

    void skipBadCountsAndKeepsTheFirstTen() {
        std::string text;
        for (int i = 1; i <= 30; ++i) {
            if (i % 2 == 0)
                text += "{\"instruction\": \"x" + std::to_string(i) + "\", \"input\": \"y\"}\n"; // no output
            else if (i == 5)
                text += "{\"instruction\": \"broken\n";
            else
                text += "{\"instruction\": \"i\", \"output\": \"o\"}\n";
        }
        const auto p = writeFile(dir_, "skip.jsonl", text);
        QCOMPARE(q(readAll(p).error), q(p + ":2: expected field 'output' (found: instruction, input)"));
        ReadOptions o;
        o.skipBad = true;
        const auto r = readAll(p, o);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.records.size(), std::size_t(14));
        QCOMPARE(r.info.numRecords, std::int64_t(30));
        QCOMPARE(r.info.numSkipped, std::int64_t(16));
        QCOMPARE(r.info.issues.size(), std::size_t(10));
        QCOMPARE(r.info.issues[0].line, std::int64_t(2));
        QCOMPARE(q(r.info.issues[0].message), QStringLiteral("expected field 'output' (found: instruction, input)"));
        QCOMPARE(r.info.issues[2].line, std::int64_t(5));
        QCOMPARE(q(r.info.issues[2].message),
                 QStringLiteral("invalid JSON at column 24: syntax error while parsing value - invalid string: "
                                "missing closing quote; last read: '\"broken'"));
        QCOMPARE(q(r.info.issues[0].describe()), q(p + ":2: expected field 'output' (found: instruction, input)"));
    }

    void skipBadBeforeDetection() {
        // Bad records before the first good one are skipped too; detection uses the good one.
        const auto p = writeFile(dir_, "first-bad.jsonl", "not json\n[1]\n{\"text\": \"ok\"}\n");
        ReadOptions o;
        o.skipBad = true;
        const auto r = readAll(p, o);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.format, DataFormat::Text);
        QCOMPARE(r.records.size(), std::size_t(1));
        QCOMPARE(r.info.numSkipped, std::int64_t(2));
        QCOMPARE(r.info.issues[1].line, std::int64_t(2));
        QCOMPARE(q(r.info.issues[1].message), QStringLiteral("expected a JSON object, found array"));
        const auto all = writeFile(dir_, "all-bad.jsonl", "nope\n");
        QCOMPARE(q(readAll(all, o).error), q(all + ": no records (all 1 records are bad)"));
    }

    void demoDatasetReadsClean() {
        const std::string demo = std::string(PS_SOURCE_DIR) + "/resources/demo/instructions.jsonl";
        const auto r = readAll(demo);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.format, DataFormat::Alpaca);
        QVERIFY(r.records.size() >= 300 && r.records.size() <= 600);
        const auto c = readAll(std::string(PS_SOURCE_DIR) + "/resources/demo/corpus.txt");
        QCOMPARE(q(c.error), QString());
        QVERIFY(c.records.size() >= 100);
    }
};

QTEST_APPLESS_MAIN(TestDataFormats)
#include "tst_data_formats.moc"
