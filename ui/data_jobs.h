#pragma once
// The Data page's background work as a plain function: read a dataset file (format detection,
// record counts, bad records) and, when a model's tokenizer is at hand, tokenize it exactly as
// training will (template, cutoff_len, train_on_prompt). It runs on a QtConcurrent worker, reports
// progress through its QPromise, stops when `cancel` is raised, and returns plain values; errors
// come back as text with what to do about them, never as exceptions.
#include "ps/dataset.h"
#include "ps/tokenizer.h"

#include <QPromise>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>

namespace ps::ui {

struct DataRequest {
    QString path;
    QString modelDir;                               // whose tokenizer to use; empty: no tokenizing
    std::shared_ptr<const ps::Tokenizer> tokenizer; // modelDir's tokenizer when already loaded
    QString format = QStringLiteral("auto");        // dataset_format
    QString columns;                                // dataset_columns
    QString templateName = QStringLiteral("auto");  // template
    int cutoffLen = 1024;
    bool trainOnPrompt = false;
};

struct DataAnalysis {
    DataRequest request;
    bool cancelled = false;
    bool hasInfo = false;                           // the file could be opened and its format recognised
    ps::DatasetInfo info;                           // format, reason, fields, record counts, the first bad records
    std::optional<ps::TokenizedDataset> data;       // set when tokenized
    std::shared_ptr<const ps::Tokenizer> tokenizer; // the one used (kept for rendering examples)
    QString tokenizerNote;                          // why there are no token statistics, when there are none
    QString error;  // what went wrong, in core's words ("data.jsonl:42: expected field ...")
    QString advice; // what to do about it
};

// Progress is reported in per mille of the file read.
void analyzeData(QPromise<DataAnalysis>& promise, const DataRequest& request,
                 const std::shared_ptr<std::atomic<bool>>& cancel);

// What to do about a reading error, in plain words ("Fix line 42 of data.jsonl ...").
QString adviceForDataError(const QString& error);

} // namespace ps::ui
