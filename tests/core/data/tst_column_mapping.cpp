// The text form of a column mapping (the dataset_columns key) and that a mapped file reads.
#include "ps/dataset.h"
#include "ps/error.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace ps;

class TestColumnMapping final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesAndPrints_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("canonical");
        QTest::newRow("empty means no mapping") << QString() << QString();
        QTest::newRow("one field") << QStringLiteral("instruction=question") << QStringLiteral("instruction=question");
        QTest::newRow("spaces and order do not matter") << QStringLiteral(" output = answer , instruction=question,")
                                                        << QStringLiteral("instruction=question,output=answer");
    }
    void parsesAndPrints() {
        QFETCH(QString, text);
        QFETCH(QString, canonical);
        const auto columns = parseColumnMapping(text.toStdString(), "dataset_columns");
        QCOMPARE(QString::fromStdString(columnMappingText(columns)), canonical);
        QCOMPARE(parseColumnMapping(columnMappingText(columns), "again"), columns);
    }

    void badEntriesSayWhatIsExpected_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::newRow("no equals sign") << QStringLiteral("question") << QStringLiteral("is not field=column");
        QTest::newRow("empty column") << QStringLiteral("instruction=") << QStringLiteral("is not field=column");
        QTest::newRow("field twice") << QStringLiteral("output=a,output=b") << QStringLiteral("mapped twice");
    }
    void badEntriesSayWhatIsExpected() {
        QFETCH(QString, text);
        QFETCH(QString, message);
        try {
            parseColumnMapping(text.toStdString(), "dataset_columns");
            QFAIL("expected an error");
        } catch (const Error& e) {
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.startsWith(QStringLiteral("dataset_columns: ")) && what.contains(message), e.what());
        }
    }

    void mappedColumnsAreRead() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("qa.jsonl")).toStdString();
        std::ofstream(path) << "{\"question\": \"2 + 2?\", \"answer\": \"4\"}\n";
        ReadOptions read;
        read.columns = parseColumnMapping("instruction=question,output=answer", "dataset_columns");
        DatasetReader reader(path, read);
        QCOMPARE(reader.info().format, DataFormat::Alpaca);
        DataRecord record;
        QVERIFY(reader.next(record));
        QCOMPARE(record.messages.back().content, std::string("4"));
    }
};

QTEST_APPLESS_MAIN(TestColumnMapping)
#include "tst_column_mapping.moc"
