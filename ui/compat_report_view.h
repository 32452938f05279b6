#pragma once
// CompatReportView — the export compatibility report as the user reads it: one row per runtime
// (peft, transformers, vLLM, llama.cpp / Ollama) with a coloured badge (green check, amber
// exclamation, red cross — shape and colour, so it reads without colour vision too), the verdict
// in words and the reasons. The runtime the chosen format targets is marked.
#include "ps/export_compat.h"

#include <QFrame>

#include <array>

class QLabel;

namespace ps::ui {

class CompatReportView final : public QFrame {
    Q_OBJECT

public:
    explicit CompatReportView(QWidget* parent = nullptr);

    void setReport(const ps::CompatReport& report, ps::ExportRuntime target);
    // Shown instead of the rows: "Checking…", or why there is no report.
    void showMessage(const QString& text);

    bool hasReport() const { return hasReport_; }
    // For tests and accessibility: "ok" / "warning" / "unsupported", and the reasons shown.
    QString verdictText(ps::ExportRuntime runtime) const;
    QString reasonsText(ps::ExportRuntime runtime) const;
    QString headline() const;

private:
    struct Row {
        QLabel* badge = nullptr;
        QLabel* name = nullptr;
        QLabel* verdict = nullptr;
        QLabel* reasons = nullptr;
    };
    QLabel* headline_ = nullptr;
    QLabel* message_ = nullptr;
    QWidget* rowsBox_ = nullptr;
    std::array<Row, 4> rows_{};
    bool hasReport_ = false;
};

} // namespace ps::ui
