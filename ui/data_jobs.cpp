#include "data_jobs.h"

#include "qt_convert.h"

#include <QFileInfo>
#include <QRegularExpression>

#include <exception>

namespace ps::ui {
namespace {

ps::ReadOptions readOptions(const DataRequest& r, QPromise<DataAnalysis>& promise,
                            const std::shared_ptr<std::atomic<bool>>& cancel) {
    ps::ReadOptions read;
    if (const auto format = ps::dataFormatFromName(toStd(r.format)))
        read.format = *format;
    read.columns = ps::parseColumnMapping(toStd(r.columns), "dataset_columns");
    // Training stops at the first bad record; here they are counted and listed so that the user
    // can fix them all at once.
    read.skipBad = true;
    read.cancel = cancel.get();
    read.progress = [&promise](std::uint64_t done, std::uint64_t total) {
        if (total > 0)
            promise.setProgressValue(static_cast<int>(done * 1000 / total));
    };
    return read;
}

void tokenize(DataAnalysis& out, const ps::ReadOptions& read) {
    const DataRequest& r = out.request;
    ps::TokenizeOptions options;
    options.cutoffLen = r.cutoffLen;
    options.trainOnPrompt = r.trainOnPrompt;
    if (r.templateName != QLatin1String("auto"))
        options.chatFamily = ps::chatFamilyFromName(toStd(r.templateName));
    out.data = ps::tokenizeDataset(toStd(r.path), *out.tokenizer, read, options);
    out.info = out.data->info();
}

// Opens the file (format detection). Skipping bad records, a file without a single good one
// fails as "no records"; reading it strictly instead names the first bad record and why.
ps::DatasetInfo openInfo(const std::string& path, const ps::ReadOptions& read) {
    try {
        return ps::DatasetReader(path, read).info();
    } catch (const ps::DataCancelled&) {
        throw;
    } catch (const ps::Error&) {
        ps::ReadOptions strict = read;
        strict.skipBad = false;
        ps::DatasetReader reader(path, strict);
        throw;
    }
}

void readOnly(DataAnalysis& out, const ps::ReadOptions& read) {
    ps::DatasetReader reader(toStd(out.request.path), read);
    ps::DataRecord record;
    while (reader.next(record)) {
    }
    out.info = reader.info();
}

} // namespace

QString adviceForDataError(const QString& error) {
    static const QRegularExpression lineRef(QStringLiteral("^(.*?):(\\d+):"));
    const QRegularExpressionMatch m = lineRef.match(error);
    if (m.hasMatch())
        return QObject::tr("Open %1 at line %2 and fix that record (or delete it), then press Reload. If every "
                           "record looks like that, choose the format and columns that match the file instead.")
            .arg(QFileInfo(m.captured(1)).fileName(), m.captured(2));
    if (error.contains(QLatin1String("dataset_columns")))
        return QObject::tr("Correct the column mapping: each entry is a field and the column in your file.");
    if (error.contains(QLatin1String("not found")) || error.contains(QLatin1String("cannot open")) ||
        error.contains(QLatin1String("No such file")))
        return QObject::tr("Check that the file still exists and can be read, then open it again.");
    return QObject::tr("Choose the format and the column mapping that match your file, then press Reload.");
}

void analyzeData(QPromise<DataAnalysis>& promise, const DataRequest& request,
                 const std::shared_ptr<std::atomic<bool>>& cancel) {
    DataAnalysis out;
    out.request = request;
    promise.setProgressRange(0, 1000);
    try {
        const ps::ReadOptions read = readOptions(request, promise, cancel);
        // Open once on its own: a file in an unknown layout fails here with the clearest message.
        out.info = openInfo(toStd(request.path), read);
        out.hasInfo = true;
        out.tokenizer = request.tokenizer;
        if (!out.tokenizer && !request.modelDir.isEmpty()) {
            try {
                out.tokenizer = ps::Tokenizer::load(toStd(request.modelDir));
            } catch (const ps::Error& e) {
                out.tokenizerNote =
                    QObject::tr("The model's tokenizer could not be loaded, so tokens are not counted: %1")
                        .arg(toQ(e.what()));
            }
        } else if (request.modelDir.isEmpty()) {
            out.tokenizerNote = QObject::tr("Choose a base model on the Model page to see tokens, the trained "
                                            "part of each example and the length statistics.");
        }
        if (out.tokenizer)
            tokenize(out, read);
        else
            readOnly(out, read);
    } catch (const ps::DataCancelled&) {
        out.cancelled = true;
    } catch (const std::exception& e) {
        out.error = toQ(e.what());
        out.advice = adviceForDataError(out.error);
    }
    promise.addResult(std::move(out));
}

} // namespace ps::ui
