#pragma once
// The Export page: pick an adapter (a run from the catalog or any PEFT folder), the format
// (peft / merged / gguf), the base model (defaulted from the run), dtype and output path; the
// compatibility report per runtime is shown before anything is written. The export runs on a
// worker thread; replacing an existing output asks first; success lists the files written
// with an "Open folder" button; errors are shown on the page with what to do.
#include "export_jobs.h"

#include <QWidget>

#include <functional>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;

namespace ps::ui {

class AdapterPicker;
class CompatReportView;
class ErrorBanner;

class ExportPage final : public QWidget {
    Q_OBJECT

public:
    explicit ExportPage(QWidget* parent = nullptr);

    // Selects a run or adapter folder (what --adapter passes) and checks it.
    void setSource(const QString& path);
    void setBaseDir(const QString& dir);
    void setFormat(ExportFormat format);
    void setOutputPath(const QString& path);

    // Whether a check or an export is running (or the run list is loading).
    bool isBusy() const;

    // Asked before an export replaces existing output; the default shows a QMessageBox.
    // Tests install their own answer.
    void setOverwriteConfirmer(std::function<bool(const QString& path)> confirm) { confirm_ = std::move(confirm); }

    AdapterPicker* picker() const { return picker_; }
    CompatReportView* reportView() const { return report_; }
    ErrorBanner* errorBanner() const { return error_; }
    QPushButton* exportButton() const { return export_; }
    QListWidget* filesList() const { return files_; }
    QLineEdit* outputEdit() const { return out_; }
    QLineEdit* baseEdit() const { return base_; }
    QComboBox* formatCombo() const { return format_; }
    QComboBox* dtypeCombo() const { return dtype_; }
    QString lastOutDir() const { return lastOutDir_; }

public Q_SLOTS:
    // Starts the export (after the overwrite question). False when it cannot start.
    bool startExport();

Q_SIGNALS:
    void busyChanged(bool busy);
    void exportFinished(bool ok);
    void statusMessage(const QString& message);

private:
    void recheck();
    void applyCheck(const SourceCheck& check);
    void applyOutcome(const ExportOutcome& outcome);
    void updateFormatDependents();
    void updateExportButton();
    void setWorking(bool checking, bool exporting);
    ExportFormat currentFormat() const;
    QWidget* buildForm();
    QWidget* buildResult();

    AdapterPicker* picker_ = nullptr;
    QLineEdit* base_ = nullptr;
    QComboBox* format_ = nullptr;
    QComboBox* dtype_ = nullptr;
    QLineEdit* out_ = nullptr;
    CompatReportView* report_ = nullptr;
    ErrorBanner* error_ = nullptr;
    QPushButton* export_ = nullptr;
    QProgressBar* busy_ = nullptr;
    QLabel* busyLabel_ = nullptr;
    QWidget* result_ = nullptr;
    QLabel* resultTitle_ = nullptr;
    QListWidget* files_ = nullptr;
    QPushButton* openFolder_ = nullptr;

    std::function<bool(const QString&)> confirm_;
    SourceCheck check_;   // the last completed check
    int checkSerial_ = 0; // a newer check makes older results stale
    int checksRunning_ = 0;
    bool exporting_ = false;
    bool outEdited_ = false;  // the user typed an output path: stop proposing one
    bool baseEdited_ = false; // the user chose a base: keep it over source changes
    QString lastOutDir_;
};

} // namespace ps::ui
