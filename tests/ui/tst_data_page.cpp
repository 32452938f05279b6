// The Data page on the demo data: the detected format, the statistics (checked against counts
// the test makes itself from the file and the chat template), the trained-token highlight
// (checked against the label mask), the histogram, the split, column mapping, bad records and
// cancelling — and that every edit lands in the run draft.
#include "column_mapping_editor.h"
#include "data_page.h"
#include "dataset_stats_view.h"
#include "error_banner.h"
#include "example_view.h"
#include "record_table_model.h"
#include "run_draft.h"
#include "qcustomplot_include.h"
#include "token_length_histogram.h"

#include "ps/chat_template.h"
#include "ps/tokenizer.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextDocument>
#include <QThreadPool>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace ps::ui;

namespace {

const QString kDemoData = QStringLiteral(PS_SOURCE_DIR "/resources/demo/instructions.jsonl");
const QString kDemoTokenizer = QStringLiteral(PS_SOURCE_DIR "/resources/demo/tokenizer");
constexpr int kCutoff = 256;

QString number(std::int64_t n) {
    return QLocale().toString(static_cast<qlonglong>(n));
}

// One example computed by the test from the file and the chat template alone: the alpaca
// template's assistant mask, position 0 never trained, truncation at the cutoff.
struct Expected {
    std::vector<std::int32_t> ids;
    std::vector<bool> trained;
};

Expected expectedExample(const ps::Tokenizer& tok, const QJsonObject& record, int cutoff) {
    QString user = record.value(QStringLiteral("instruction")).toString();
    const QString input = record.value(QStringLiteral("input")).toString();
    if (!input.isEmpty())
        user += QLatin1Char('\n') + input;
    std::vector<ps::ChatMessage> messages;
    const QString system = record.value(QStringLiteral("system")).toString();
    if (!system.isEmpty())
        messages.push_back({"system", system.toStdString()});
    messages.push_back({"user", user.toStdString()});
    messages.push_back({"assistant", record.value(QStringLiteral("output")).toString().toStdString()});
    const ps::RenderedChat chat = ps::renderChat(tok, messages, ps::ChatFamily::Alpaca);
    Expected e;
    for (std::size_t i = 0; i < chat.ids.size() && static_cast<int>(i) < cutoff; ++i) {
        e.ids.push_back(chat.ids[i]);
        e.trained.push_back(i > 0 && chat.assistantMask[i] != 0);
    }
    return e;
}

std::vector<QJsonObject> readRecords(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    std::vector<QJsonObject> out;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine().trimmed();
        if (!line.isEmpty())
            out.push_back(QJsonDocument::fromJson(line).object());
    }
    return out;
}

void writeFile(const QString& path, const QByteArray& text) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

// The text of the example document whose background is (or is not) the trained colour. Line
// breaks become paragraph separators that carry no colour of their own, so they are left out
// (compare with withoutLineBreaks()).
QString documentText(const ExampleView& view, bool trained) {
    QString out;
    for (QTextBlock block = view.document()->begin(); block.isValid(); block = block.next())
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextCharFormat format = it.fragment().charFormat();
            const bool isTrained =
                format.background().style() != Qt::NoBrush && format.background().color() == view.trainedBackground();
            if (isTrained == trained)
                out += it.fragment().text();
        }
    return out;
}

// WCAG contrast ratio of two colours (1 to 21; 4.5 is readable body text).
double contrast(const QColor& a, const QColor& b) {
    auto luminance = [](const QColor& c) {
        auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
    };
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QString withoutLineBreaks(const std::string& text) {
    return QString::fromStdString(text).remove(QLatin1Char('\n'));
}

} // namespace

class TestDataPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        tokenizer_ = ps::Tokenizer::load(kDemoTokenizer.toStdString());
        records_ = readRecords(kDemoData);
        QVERIFY(records_.size() > 100);
    }

    void init() {
        draft_ = std::make_unique<RunDraft>();
        // The Data page only needs the model's tokenizer: a tokenizer folder is enough here.
        QCOMPARE(draft_->setValue(QStringLiteral("model_name_or_path"), kDemoTokenizer), QString());
        QCOMPARE(draft_->setValue(QStringLiteral("template"), QStringLiteral("alpaca")), QString());
        QCOMPARE(draft_->setValue(QStringLiteral("cutoff_len"), QString::number(kCutoff)), QString());
        page_ = std::make_unique<DataPage>(*draft_);
        tester_ = std::make_unique<QAbstractItemModelTester>(page_->records(),
                                                             QAbstractItemModelTester::FailureReportingMode::QtTest);
        page_->resize(1100, 720);
        page_->show();
    }

    void cleanup() {
        tester_.reset();
        page_.reset();
        draft_.reset();
        QThreadPool::globalInstance()->waitForDone();
    }

    void demoDataIsDetectedAndCounted() {
        QSignalSpy changed(draft_.get(), &RunDraft::changed);
        page_->openFile(kDemoData);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().first().toStringList(), QStringList{QStringLiteral("dataset")});
        QCOMPARE(draft_->value(QStringLiteral("dataset")), QFileInfo(kDemoData).absoluteFilePath());
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy() && page_->analysis().data, 60000);
        QVERIFY2(page_->detectedText().contains(QStringLiteral("alpaca")), qPrintable(page_->detectedText()));
        QVERIFY(page_->detectedText().contains(QStringLiteral("instruction/output")));
        QVERIFY(!page_->errorBanner()->isVisible());

        // The statistics, recomputed from the file and the template.
        std::vector<std::int64_t> lengths;
        std::int64_t tokens = 0, trained = 0, truncated = 0;
        for (const QJsonObject& r : records_) {
            const Expected e = expectedExample(*tokenizer_, r, 1 << 20);
            truncated += static_cast<int>(e.ids.size()) > kCutoff ? 1 : 0;
            const Expected cut = expectedExample(*tokenizer_, r, kCutoff);
            lengths.push_back(static_cast<std::int64_t>(cut.ids.size()));
            tokens += static_cast<std::int64_t>(cut.ids.size());
            trained += std::count(cut.trained.begin(), cut.trained.end(), true);
        }
        std::sort(lengths.begin(), lengths.end());
        auto nearestRank = [&](double p) {
            const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(lengths.size())));
            return lengths[std::max<std::size_t>(1, rank) - 1];
        };
        const DatasetStatsView* stats = page_->stats();
        const auto n = static_cast<std::int64_t>(records_.size());
        QCOMPARE(stats->valueText(QStringLiteral("records")), number(n));
        QCOMPARE(stats->valueText(QStringLiteral("examples")), number(n));
        QCOMPARE(stats->valueText(QStringLiteral("skipped")), number(0));
        QCOMPARE(stats->valueText(QStringLiteral("tokens")), number(tokens));
        QCOMPARE(stats->valueText(QStringLiteral("trained_tokens")), number(trained));
        QCOMPARE(stats->valueText(QStringLiteral("truncated")), number(truncated));
        QCOMPARE(stats->valueText(QStringLiteral("length_min")), number(lengths.front()));
        QCOMPARE(stats->valueText(QStringLiteral("length_max")), number(lengths.back()));
        QCOMPARE(stats->valueText(QStringLiteral("length_p50")), number(nearestRank(0.5)));
        QCOMPARE(stats->valueText(QStringLiteral("length_p95")), number(nearestRank(0.95)));
        QCOMPARE(stats->valueText(QStringLiteral("length_mean")),
                 QLocale().toString(static_cast<double>(tokens) / static_cast<double>(n), 'f', 1));

        // The histogram holds every example and marks the cutoff.
        const TokenLengthHistogram* histogram = page_->histogram();
        std::int64_t binned = 0;
        for (const std::int64_t c : histogram->binCounts())
            binned += c;
        QCOMPARE(binned, n);
        QCOMPARE(histogram->cutoffMarkerX(), double(kCutoff));

        // The preview reads lazily: a first batch, not the whole file.
        QVERIFY(page_->records()->rowCount() >= 1);
        QVERIFY(page_->records()->rowCount() < static_cast<int>(n));
        QCOMPARE(page_->records()->index(0, 0).data(RecordTableModel::LineRole).toLongLong(), qint64(1));
    }

    void trainedTokensAreHighlighted_data() {
        QTest::addColumn<int>("example");
        QTest::newRow("first record") << 0;
        QTest::newRow("record with an input") << 2;
        QTest::newRow("seventh record") << 6;
    }
    void trainedTokensAreHighlighted() {
        QFETCH(int, example);
        page_->openFile(kDemoData);
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy() && page_->analysis().data, 60000);
        // Selecting a preview row shows that record's example.
        page_->table()->setCurrentIndex(page_->records()->index(example, 1));
        QCOMPARE(page_->example()->currentExample(), example);

        const Expected e = expectedExample(*tokenizer_, records_.at(static_cast<std::size_t>(example)), kCutoff);
        std::vector<std::int32_t> trainedIds, promptIds;
        for (std::size_t i = 0; i < e.ids.size(); ++i)
            (e.trained[i] ? trainedIds : promptIds).push_back(e.ids[i]);
        QVERIFY(!trainedIds.empty());
        // The mask is one prompt run followed by one trained run for a single-turn record.
        QCOMPARE(documentText(*page_->example(), true), withoutLineBreaks(tokenizer_->decode(trainedIds)));
        QCOMPARE(documentText(*page_->example(), false), withoutLineBreaks(tokenizer_->decode(promptIds)));
        QVERIFY(
            documentText(*page_->example(), true)
                .startsWith(records_.at(static_cast<std::size_t>(example)).value(QStringLiteral("output")).toString()));
    }

    void editsGoToTheDraftAndUpdateTheNumbers() {
        page_->openFile(kDemoData);
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy() && page_->analysis().data, 60000);
        const auto n = static_cast<std::int64_t>(records_.size());
        // val_size 0.1: round(0.1 n) validation examples.
        page_->findChild<QDoubleSpinBox*>(QStringLiteral("valSize"))->setValue(0.1);
        QCOMPARE(draft_->config().val_size, 0.1);
        const std::int64_t validation = std::llround(0.1 * static_cast<double>(n));
        QCOMPARE(page_->stats()->valueText(QStringLiteral("validation_examples")), number(validation));
        QCOMPARE(page_->stats()->valueText(QStringLiteral("train_examples")), number(n - validation));

        // A shorter cutoff truncates every example longer than it, and the marker moves.
        const int cutoff = 48; // below the longest examples; the short ones keep trained tokens
        page_->findChild<QSpinBox*>(QStringLiteral("cutoffLen"))->setValue(cutoff);
        QCOMPARE(draft_->config().cutoff_len, std::int64_t(cutoff));
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy() && page_->analysis().request.cutoffLen == cutoff, 60000);
        std::int64_t longer = 0;
        for (const QJsonObject& r : records_)
            longer += expectedExample(*tokenizer_, r, 1 << 20).ids.size() > std::size_t(cutoff) ? 1 : 0;
        QCOMPARE(page_->stats()->valueText(QStringLiteral("truncated")), number(longer));
        QCOMPARE(page_->histogram()->cutoffMarkerX(), double(cutoff));

        page_->findChild<QCheckBox*>(QStringLiteral("trainOnPrompt"))->setChecked(true);
        QCOMPARE(draft_->config().train_on_prompt, true);

        // Packing, and sharing a prompt opening, which only packed rows can do.
        auto* packing = page_->findChild<QCheckBox*>(QStringLiteral("packing"));
        auto* shared = page_->findChild<QCheckBox*>(QStringLiteral("packingSharedPrefix"));
        QVERIFY(packing && shared);
        QCOMPARE(packing->isChecked(), draft_->config().packing);
        packing->setChecked(false);
        QCOMPARE(draft_->config().packing, false);
        QVERIFY(!shared->isEnabled());
        packing->setChecked(true);
        QCOMPARE(draft_->config().packing, true);
        QVERIFY(shared->isEnabled());
        QCOMPARE(shared->isChecked(), true); // the default
        shared->setChecked(false);
        QCOMPARE(draft_->config().packing_shared_prefix, false);
        QCOMPARE(draft_->setValue(QStringLiteral("packing_shared_prefix"), QStringLiteral("true")), QString());
        QVERIFY(shared->isChecked()); // the page mirrors the draft
        auto* format = page_->findChild<QComboBox*>(QStringLiteral("datasetFormat"));
        format->setCurrentIndex(format->findData(QStringLiteral("alpaca")));
        Q_EMIT format->activated(format->currentIndex());
        QCOMPARE(draft_->config().dataset_format, std::string("alpaca"));
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy(), 60000);
        QVERIFY(page_->detectedText().startsWith(QStringLiteral("Reading as")));
    }

    void columnMappingReadsOtherNames() {
        const QString path = tmp_.filePath(QStringLiteral("qa.jsonl"));
        writeFile(path, "{\"question\": \"What is 2 + 2?\", \"answer\": \"4\"}\n"
                        "{\"question\": \"Name a colour.\", \"answer\": \"Blue.\"}\n");
        draft_->setValue(QStringLiteral("dataset_format"), QStringLiteral("alpaca"));
        page_->openFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy(), 60000);
        QVERIFY(page_->errorBanner()->isVisible()); // no 'instruction' field yet
        ColumnMappingEditor* columns = page_->columns();
        QComboBox* instruction = columns->fieldCombo(QStringLiteral("instruction"));
        QVERIFY(instruction);
        QVERIFY(instruction->findText(QStringLiteral("question")) >= 0); // the file's columns are offered
        instruction->setCurrentIndex(instruction->findText(QStringLiteral("question")));
        Q_EMIT instruction->activated(instruction->currentIndex());
        QCOMPARE(draft_->value(QStringLiteral("dataset_columns")), QStringLiteral("instruction=question"));
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy(), 60000);
        QComboBox* output = page_->columns()->fieldCombo(QStringLiteral("output"));
        output->setCurrentIndex(output->findText(QStringLiteral("answer")));
        Q_EMIT output->activated(output->currentIndex());
        QCOMPARE(draft_->value(QStringLiteral("dataset_columns")),
                 QStringLiteral("instruction=question,output=answer"));
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy() && page_->analysis().data, 60000);
        QVERIFY(!page_->errorBanner()->isVisible());
        QCOMPARE(page_->stats()->valueText(QStringLiteral("examples")), number(2));
        QCOMPARE(page_->records()->rowCount(), 2);
    }

    void badRecordsAreShownWithWhatToDo_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("title");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("advice");
        QTest::newRow("one record without output")
            << QByteArray("{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": \"c\", \"output\": \"d\"}\n"
                          "{\"instruction\": \"e\"}\n{\"instruction\": \"f\", \"output\": \"g\"}\n")
            << QStringLiteral("1 of 4 records") << QStringLiteral("bad.jsonl:3") << QStringLiteral("Fix or delete");
        QTest::newRow("not JSON at all") << QByteArray("this is not json\n") << QStringLiteral("cannot be used")
                                         << QStringLiteral("bad.jsonl:1") << QStringLiteral("line 1");
    }
    void badRecordsAreShownWithWhatToDo() {
        QFETCH(QByteArray, content);
        QFETCH(QString, title);
        QFETCH(QString, message);
        QFETCH(QString, advice);
        const QString path = tmp_.filePath(QStringLiteral("bad.jsonl"));
        writeFile(path, content);
        page_->openFile(path);
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy(), 60000);
        ErrorBanner* banner = page_->errorBanner();
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->title().contains(title), qPrintable(banner->title()));
        QVERIFY2(banner->message().contains(message), qPrintable(banner->message()));
        QVERIFY2(banner->advice().contains(advice), qPrintable(banner->advice()));
    }

    void followsADarkPalette() {
        page_->openFile(kDemoData);
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy() && page_->analysis().data, 60000);
        const QString trainedBefore = documentText(*page_->example(), true);
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x30));
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
        dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2b));
        dark.setColor(QPalette::Button, QColor(0x35, 0x37, 0x3a));
        for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
            dark.setColor(role, QColor(0xe4, 0xe6, 0xeb));
        dark.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9d, 0xa3));
        dark.setColor(QPalette::Highlight, QColor(0x3d, 0x7a, 0xd6));
        page_->setPalette(dark);
        // The trained highlight is repainted from the new palette and stays readable.
        const QColor trained = page_->example()->trainedBackground();
        QVERIFY(trained.lightnessF() < 0.5);
        QVERIFY2(contrast(trained, dark.color(QPalette::Text)) >= 4.5,
                 qPrintable(QString::number(contrast(trained, dark.color(QPalette::Text)))));
        QCOMPARE(documentText(*page_->example(), true), trainedBefore);
        QCOMPARE(page_->histogram()->plot()->xAxis->tickLabelColor(), dark.color(QPalette::Text));
        if (qEnvironmentVariableIsSet("PS_UI_SCREENSHOTS"))
            page_->grab().save(qEnvironmentVariable("PS_UI_SCREENSHOTS") + QStringLiteral("/data-page-dark.png"));
    }

    void analysisCanBeCancelled() {
        // Large enough that tokenizing takes a while on any machine.
        QByteArray text;
        const QByteArray line = "{\"instruction\": \"Tell me a long story about the sea and the wind.\", "
                                "\"output\": \"Once upon a time the sea and the wind were friends.\"}\n";
        for (int i = 0; i < 200000; ++i)
            text += line;
        const QString path = tmp_.filePath(QStringLiteral("large.jsonl"));
        writeFile(path, text);
        page_->openFile(path);
        auto* cancel = page_->findChild<QPushButton*>(QStringLiteral("cancelAnalysis"));
        QTRY_VERIFY(cancel->isVisible());
        cancel->click();
        QTRY_VERIFY_WITH_TIMEOUT(!page_->isBusy(), 60000);
        QVERIFY(page_->analysis().cancelled);
        QVERIFY(page_->findChild<QLabel*>(QStringLiteral("dataStatus"))->text().contains(QStringLiteral("Stopped")));
    }

private:
    QTemporaryDir tmp_;
    std::shared_ptr<ps::Tokenizer> tokenizer_;
    std::vector<QJsonObject> records_;
    std::unique_ptr<RunDraft> draft_;
    std::unique_ptr<DataPage> page_;
    std::unique_ptr<QAbstractItemModelTester> tester_;
};

QTEST_MAIN(TestDataPage)
#include "tst_data_page.moc"
