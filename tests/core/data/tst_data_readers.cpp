// Readers: JSON Lines, JSON (array / object holding one), CSV/TSV, plain text. Good files give
// the right records and lines; malformed files give exact "FILE:LINE: ..." messages.
#include "data_test_util.h"

#include "data/record_stream.h"
#include "tokenize/utf8.h"

using namespace ps;
using namespace ps::testing;

class TestDataReaders final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void jsonLinesSkipsBlankLinesAndHandlesCrlfAndBom() {
        const auto p = writeFile(dir_, "a.jsonl",
                                 "\xEF\xBB\xBF{\"instruction\": \"i1\", \"output\": \"o1\"}\r\n"
                                 "\r\n"
                                 "   \n"
                                 "{\"instruction\": \"i2\", \"input\": \"x\", \"output\": \"o2\"}\n"
                                 "{\"instruction\": \"i3\", \"output\": \"o3\"}"); // no final newline
        const auto r = readAll(p);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.records.size(), std::size_t(3));
        QCOMPARE(r.records[0].line, std::int64_t(1));
        QCOMPARE(r.records[1].line, std::int64_t(4));
        QCOMPARE(r.records[2].line, std::int64_t(5));
        QCOMPARE(q(r.records[1].messages[0].content), QStringLiteral("i2\nx"));
        QCOMPARE(r.info.fileType, FileType::JsonLines);
        QCOMPARE(r.info.numRecords, std::int64_t(3));
        QCOMPARE(r.info.fields, (std::vector<std::string>{"instruction", "output"}));
    }

    void jsonArrayAndObjectHoldingAnArray() {
        const auto arr = writeFile(dir_, "arr.json",
                                   "[\n  {\"instruction\": \"a\",\n   \"output\": \"b\"},\n"
                                   "  {\"instruction\": \"c\", \"output\": \"d\"}\n]\n");
        auto r = readAll(arr);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.fileType, FileType::Json);
        QCOMPARE(r.records.size(), std::size_t(2));
        QCOMPARE(r.records[0].line, std::int64_t(2));
        QCOMPARE(r.records[1].line, std::int64_t(4));

        const auto obj = writeFile(dir_, "obj.json",
                                   "{\"version\": 2, \"meta\": {\"x\": [1, 2]},\n \"data\": [\n"
                                   "  {\"prompt\": \"p\", \"completion\": \"c\"}]}");
        r = readAll(obj);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.fileType, FileType::Json);
        QCOMPARE(q(r.info.jsonKey), QStringLiteral("data"));
        QCOMPARE(r.records.size(), std::size_t(1));
        QCOMPARE(r.records[0].line, std::int64_t(3));
        QCOMPARE(q(r.records[0].completion), QStringLiteral("c"));
    }

    void jsonFileHoldingJsonLinesIsReadAsLines() {
        const auto p = writeFile(dir_, "lines.json",
                                 "{\"text\": \"one\", \"tags\": [\"a\"]}\n{\"text\": \"two\", \"tags\": []}\n");
        const auto r = readAll(p);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.fileType, FileType::JsonLines);
        QCOMPARE(r.records.size(), std::size_t(2));
        QCOMPARE(q(r.records[1].text), QStringLiteral("two"));
    }

    void csvQuotingNewlinesCrlfBomAndBlankLines() {
        const auto p = writeFile(dir_, "a.csv",
                                 "\xEF\xBB\xBFinstruction,input,output\r\n"
                                 "\"Say \"\"hi\"\", please\",,\"line one\r\nline two\"\r\n"
                                 "\r\n"
                                 "plain,\"a,b\",c\r\n"
                                 "last,,\"\"\n");
        const auto r = readAll(p);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.fileType, FileType::Csv);
        QCOMPARE(r.info.fields, (std::vector<std::string>{"instruction", "input", "output"}));
        QCOMPARE(r.records.size(), std::size_t(3));
        QCOMPARE(r.records[0].line, std::int64_t(2));
        QCOMPARE(q(r.records[0].messages[0].content), QStringLiteral("Say \"hi\", please"));
        QCOMPARE(q(r.records[0].messages[1].content), QStringLiteral("line one\r\nline two"));
        QCOMPARE(r.records[1].line, std::int64_t(5));
        QCOMPARE(q(r.records[1].messages[0].content), QStringLiteral("plain\na,b"));
        QCOMPARE(r.records[2].line, std::int64_t(6));
        QCOMPARE(q(r.records[2].messages[1].content), QString());
    }

    void tsvAndCsvCellsHoldingJsonLists() {
        const auto tsv = writeFile(dir_, "a.tsv", "prompt\tcompletion\nWhat?\tThis.\n\"tab\there\"\tok\n");
        auto r = readAll(tsv);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.format, DataFormat::PromptCompletion);
        QCOMPARE(r.records.size(), std::size_t(2));
        QCOMPARE(q(r.records[1].prompt), QStringLiteral("tab\there"));

        const auto csv = writeFile(dir_, "conv.csv",
                                   "conversations\n"
                                   "\"[{\"\"from\"\": \"\"human\"\", \"\"value\"\": \"\"hi\"\"}, "
                                   "{\"\"from\"\": \"\"gpt\"\", \"\"value\"\": \"\"hello\"\"}]\"\n");
        r = readAll(csv);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.format, DataFormat::ShareGpt);
        QCOMPARE(r.records.size(), std::size_t(1));
        QCOMPARE(q(r.records[0].messages[1].content), QStringLiteral("hello"));
    }

    void textBlocksAndWholeFile() {
        const auto p = writeFile(dir_, "a.txt", "\xEF\xBB\xBF\nfirst line\r\nsecond line\n\n\n  \nthird\n\n");
        auto r = readAll(p);
        QCOMPARE(q(r.error), QString());
        QCOMPARE(r.info.format, DataFormat::Text);
        QCOMPARE(q(r.info.formatReason),
                 QStringLiteral("plain-text file, one document per blank-line-separated block → text"));
        QCOMPARE(r.records.size(), std::size_t(2));
        QCOMPARE(q(r.records[0].text), QStringLiteral("first line\nsecond line"));
        QCOMPARE(r.records[0].line, std::int64_t(2));
        QCOMPARE(q(r.records[1].text), QStringLiteral("third"));
        QCOMPARE(r.records[1].line, std::int64_t(7));

        ReadOptions whole;
        whole.textUnit = TextUnit::File;
        r = readAll(p, whole);
        QCOMPARE(r.records.size(), std::size_t(1));
        QCOMPARE(q(r.records[0].text), QStringLiteral("first line\nsecond line\n\n\n\nthird"));
    }

    void malformedFiles_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected"); // "P" stands for the file's path
        QTest::newRow("jsonl truncated object")
            << "t.jsonl" << QByteArray("{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \"a\", \"out")
            << "P:2: invalid JSON at column 26: syntax error while parsing object key - invalid string: missing "
               "closing quote; last read: '\"out'; expected string literal";
        QTest::newRow("jsonl missing field")
            << "m.jsonl"
            << QByteArray("{\"instruction\": \"a\", \"output\": \"b\"}\n\n{\"instruction\": \"x\", \"input\": \"y\"}\n")
            << "P:3: expected field 'output' (found: instruction, input)";
        QTest::newRow("jsonl field of the wrong type")
            << "w.jsonl" << QByteArray("{\"instruction\": \"a\", \"output\": 42}\n")
            << "P:1: field 'output' must be a string, found number";
        QTest::newRow("jsonl invalid utf-8")
            << "u.jsonl" << QByteArray("{\"text\": \"ok\"}\n{\"text\": \"caf\xC3\x28\"}\n")
            << "P:2: invalid UTF-8 (byte 0xC3 at column 14)";
        // nlohmann reports a number beyond double's range as out_of_range, not parse_error: it
        // used to escape as a non-ps exception and end the process (found by fuzz_data_jsonl).
        QTest::newRow("jsonl number out of range")
            << "o.jsonl" << QByteArray("{\"text\": \"ok\"}\n{\"text\": \"a\", \"score\": 1e999}\n")
            << "P:2: invalid JSON: number overflow parsing '1e999'";
        QTest::newRow("json number out of range")
            << "o.json" << QByteArray("[{\"text\": \"ok\"},\n {\"text\": \"a\", \"score\": -1E400}]")
            << "P:2: invalid JSON: number overflow parsing '-1E400'";
        QTest::newRow("csv cell list with a number out of range")
            << "o.csv" << QByteArray("conversations\n\"[{\"\"from\"\": \"\"human\"\", \"\"value\"\": 1e999}]\"\n")
            << "P:2: field 'conversations' must hold a JSON list; its text is not valid JSON";
        QTest::newRow("jsonl record that is not an object")
            << "n.jsonl" << QByteArray("[1, 2]\n") << "P:1: expected a JSON object, found array";
        QTest::newRow("jsonl record too large")
            << "big.jsonl" << QByteArray("{\"text\": \"" + QByteArray(100, 'x') + "\"}\n")
            << "P:1: record larger than 64 bytes, the limit for one record (ReadOptions::maxRecordBytes)";
        QTest::newRow("utf-16 file") << "w16.jsonl" << QByteArray("\xFF\xFE{\0", 4)
                                     << "P: the file is UTF-16 encoded; save it as UTF-8";
        QTest::newRow("json truncated inside a record")
            << "t.json" << QByteArray("[{\"text\": \"a\"},\n {\"text\": \"b")
            << "P:2: unexpected end of file inside this record (the file is truncated)";
        QTest::newRow("json array not closed")
            << "c.json" << QByteArray("[{\"text\": \"a\"},\n {\"text\": \"b\"}\n")
            << "P:3: unexpected end of file: the JSON array opened on line 1 is not closed (missing ']')";
        QTest::newRow("json missing comma") << "mc.json" << QByteArray("[{\"text\": \"a\"}\n {\"text\": \"b\"}]")
                                            << "P:2: expected ',' or ']' after a record, found '{'";
        QTest::newRow("json bad record on a later line")
            << "bad.json" << QByteArray("[\n{\"text\":\n  \"a\" \"b\"}]")
            << "P:3: invalid JSON at column 9: syntax error while parsing object - unexpected string literal; "
               "expected '}'";
        QTest::newRow("json object with several lists")
            << "two.json" << QByteArray("{\"train\": [], \"test\": []}")
            << "P: the JSON object has several lists (train, test); say which one holds the records "
               "(ReadOptions::jsonKey)";
        QTest::newRow("json scalar document")
            << "s.json" << QByteArray("  42") << "P:1: expected a JSON object, found number";
        QTest::newRow("csv ragged row") << "r.csv" << QByteArray("instruction,input,output\na,b,c\nd,e\n")
                                        << "P:3: expected 3 fields as in the header, found 2";
        QTest::newRow("csv unterminated quote")
            << "q.csv" << QByteArray("instruction,output\na,b\n\"c,d\ne,f\n")
            << "P:3: unterminated quoted field: the quote opened on line 3 never closes";
        QTest::newRow("csv quote inside an unquoted field")
            << "s.csv" << QByteArray("instruction,output\nsa\"y,b\n")
            << "P:2: a '\"' inside an unquoted field (quote the whole field and double the quote)";
        QTest::newRow("csv text after a closing quote")
            << "a.csv" << QByteArray("instruction,output\n\"a\"b,c\n")
            << "P:2: unexpected character after the closing quote of a field (expected ',' or the end of the line)";
        QTest::newRow("csv invalid utf-8") << "u.csv" << QByteArray("instruction,output\nok,caf\xC3\x28\n")
                                           << "P:2: invalid UTF-8 in field 'output' (byte 0xC3)";
        QTest::newRow("csv duplicate header")
            << "d.csv" << QByteArray("text,text\na,b\n") << "P:1: the header names the field 'text' twice";
        QTest::newRow("csv empty file") << "e.csv" << QByteArray("")
                                        << "P: the file is empty; expected a header row naming the fields";
        QTest::newRow("text invalid utf-8")
            << "u.txt" << QByteArray("hello\n\nabc\nde\xFF\n") << "P:4: invalid UTF-8 (byte 0xFF at column 3)";
        QTest::newRow("unknown extension") << "data.xyz" << QByteArray("hello")
                                           << "P: cannot tell the file type from the name; expected .jsonl, .json, "
                                              ".csv, .tsv or .txt";
        QTest::newRow("empty jsonl") << "e.jsonl" << QByteArray("\n\n") << "P: no records";
    }

    void malformedFiles() {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const auto p = writeFile(dir_, name.toStdString(), bytes.toStdString());
        ReadOptions o;
        if (name == QStringLiteral("big.jsonl"))
            o.maxRecordBytes = 64;
        const auto r = readAll(p, o);
        QCOMPARE(q(r.error), QString(expected).replace(QStringLiteral("P"), q(p)));
    }

    void missingFileAndFolder() {
        auto r = readAll(dir_.path().toStdString() + "/nope.jsonl");
        QCOMPARE(q(r.error), q(dir_.path().toStdString() + "/nope.jsonl: cannot open (No such file or directory)"));
        r = readAll(dir_.path().toStdString());
        QCOMPARE(q(r.error), q(dir_.path().toStdString() + ": is a folder, expected a data file"));
    }

    void progressReachesTheEndAndCancelStops() {
        std::string big;
        for (int i = 0; i < 40000; ++i)
            big += "{\"text\": \"record number " + std::to_string(i) + " with some padding text\"}\n";
        const auto p = writeFile(dir_, "big.jsonl", big);
        std::uint64_t lastDone = 0, lastTotal = 0;
        int calls = 0;
        ReadOptions o;
        o.progress = [&](std::uint64_t done, std::uint64_t total) {
            QVERIFY(done >= lastDone);
            lastDone = done;
            lastTotal = total;
            ++calls;
        };
        auto r = readAll(p, o);
        QCOMPARE(r.records.size(), std::size_t(40000));
        QVERIFY(calls >= 2); // the file is larger than one 1 MiB read
        QCOMPARE(lastDone, std::uint64_t(big.size()));
        QCOMPARE(lastTotal, std::uint64_t(big.size()));

        std::atomic<bool> cancel{false};
        ReadOptions c;
        c.cancel = &cancel;
        c.progress = [&](std::uint64_t, std::uint64_t) { cancel = true; };
        bool cancelled = false;
        std::size_t n = 0;
        try {
            DatasetReader reader(p, c);
            DataRecord rec;
            while (reader.next(rec))
                ++n;
        } catch (const DataCancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QVERIFY(n < 40000);
    }

    void utf8Validation_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("firstBad"); // -1: valid
        QTest::newRow("ascii") << QByteArray("plain text") << -1;
        QTest::newRow("two three four byte sequences") << QByteArray("\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") << -1;
        QTest::newRow("overlong slash") << QByteArray("a\xC0\xAF") << 1;
        QTest::newRow("surrogate") << QByteArray("ab\xED\xA0\x80") << 2;
        QTest::newRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << 0;
        QTest::newRow("cut at the end") << QByteArray("abc\xE2\x82") << 3;
        QTest::newRow("stray continuation") << QByteArray("0123456789\x80") << 10;
    }
    void utf8Validation() {
        QFETCH(QByteArray, bytes);
        QFETCH(int, firstBad);
        const std::size_t got = ps::tok::findInvalidUtf8(std::string_view(bytes.constData(), bytes.size()));
        QCOMPARE(got == std::string_view::npos ? -1 : static_cast<int>(got), firstBad);
    }
};

QTEST_APPLESS_MAIN(TestDataReaders)
#include "tst_data_readers.moc"
