#pragma once
// The Data page: open a dataset file, see the format PEFT Studio detected and why (or choose
// one), map its columns, preview its records (lazily), see one example rendered through the chat
// template with the trained tokens highlighted, the distribution of example lengths against
// cutoff_len, the statistics and the train / validation split.
//
// Everything it edits lives in the RunDraft (dataset, dataset_format, dataset_columns, template,
// cutoff_len, train_on_prompt, val_size, packing, packing_shared_prefix); the page only mirrors
// the draft. Reading and tokenizing
// run on a worker (DataAnalyzer), restarted a moment after the last change and cancellable.
#include "data_jobs.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QTimer;

namespace ps::ui {

class ColumnMappingEditor;
class DataAnalyzer;
class DatasetStatsView;
class ElidedLabel;
class ErrorBanner;
class ExampleView;
class RecordTableModel;
class RunDraft;
class TokenLengthHistogram;

class DataPage final : public QWidget {
    Q_OBJECT

public:
    explicit DataPage(RunDraft& draft, QWidget* parent = nullptr);
    ~DataPage() override;

    // Reading or tokenizing in flight, or about to start.
    bool isBusy() const;

    // Sets the draft's dataset (the same as Open File...).
    void openFile(const QString& path);

    // The last analysis delivered (for tests and the statistics).
    const DataAnalysis& analysis() const { return analysis_; }
    RecordTableModel* records() const { return records_; }
    QTableView* table() const { return table_; }
    ExampleView* example() const { return example_; }
    TokenLengthHistogram* histogram() const { return histogram_; }
    DatasetStatsView* stats() const { return stats_; }
    ColumnMappingEditor* columns() const { return columns_; }
    ErrorBanner* errorBanner() const { return banner_; }
    QString detectedText() const;

public Q_SLOTS:
    void chooseFile();
    void reload();
    void cancel();

Q_SIGNALS:
    void busyChanged(bool busy);

private:
    QLayout* buildFileRow();
    QLayout* buildFormatRow();
    QWidget* buildSidePanel();
    QLayout* buildFooter();
    void onDraftChanged(const QStringList& keys);
    void syncWidgets();
    void reopenPreview();
    void scheduleAnalysis();
    void startAnalysis();
    void applyAnalysis(const DataAnalysis& result);
    void showIssues(const DataAnalysis& result);
    void updateSplit();
    void onPreviewRowChanged(int row);
    void updateBusy();

    RunDraft& draft_;
    DataAnalyzer* analyzer_ = nullptr;
    QTimer* debounce_ = nullptr;
    DataAnalysis analysis_;
    bool busy_ = false;

    ElidedLabel* path_ = nullptr;
    QPushButton* reload_ = nullptr;
    QComboBox* format_ = nullptr;
    QComboBox* template_ = nullptr;
    QLabel* detected_ = nullptr;
    QLabel* notes_ = nullptr;
    ErrorBanner* banner_ = nullptr;
    RecordTableModel* records_ = nullptr;
    QTableView* table_ = nullptr;
    ExampleView* example_ = nullptr;
    ColumnMappingEditor* columns_ = nullptr;
    QSpinBox* cutoff_ = nullptr;
    QCheckBox* trainOnPrompt_ = nullptr;
    QCheckBox* packing_ = nullptr;
    QCheckBox* sharedPrefix_ = nullptr;
    QDoubleSpinBox* valSize_ = nullptr;
    TokenLengthHistogram* histogram_ = nullptr;
    DatasetStatsView* stats_ = nullptr;
    QLabel* status_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancel_ = nullptr;
};

} // namespace ps::ui
