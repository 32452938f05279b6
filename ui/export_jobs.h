#pragma once
// The Export page's background work as plain functions returning plain values: they run on a
// QtConcurrent worker and never touch widgets. Errors come back as text, never as exceptions.
#include "ps/export_compat.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace ps::ui {

enum class ExportFormat { Peft, Merged, Gguf };

// "peft", "merged", "gguf".
QString exportFormatName(ExportFormat format);
// The runtime a format is meant for: peft -> peft, merged -> transformers, gguf -> llama.cpp.
ps::ExportRuntime targetRuntime(ExportFormat format);

struct SourceCheck {
    QString source;   // as asked
    QString baseDir;  // as asked ("" = the run's model)
    QString name;     // the run name or the adapter folder's name
    QString runDir;   // "" for a plain adapter folder
    QString baseHint; // the run's model_name_or_path
    std::optional<ps::CompatReport> report;
    QString error; // set when the source is not an adapter
};

// Resolves SOURCE (run or adapter folder) and computes its compatibility report.
SourceCheck checkExportSource(const QString& source, const QString& baseDir);

struct ExportRequest {
    QString source;
    QString baseDir;
    QString outPath;
    ExportFormat format = ExportFormat::Peft;
    QString dtype = QStringLiteral("f32"); // f32, f16, bf16; "" = the base's dtype (merged)
    bool overwrite = false;
};

struct ExportOutcome {
    bool ok = false;
    QString outDir;    // the folder that received the files
    QStringList files; // absolute paths of what was written
    QString summary;   // one line: what was written
    QString error;
    QString advice; // what to do about the error
};

ExportOutcome runExport(const ExportRequest& request);

// Where an export goes by default: next to the adapter, "<run>/export/<format>" for a run
// (".../<name>.gguf" for gguf), "<adapter>-<format>" beside a plain adapter folder.
QString defaultExportPath(const QString& runDir, const QString& adapterDir, const QString& name, ExportFormat format);

// True when PATH is a non-empty folder or an existing file: exporting there replaces it.
bool exportTargetExists(const QString& path, ExportFormat format, const QString& name);

} // namespace ps::ui
