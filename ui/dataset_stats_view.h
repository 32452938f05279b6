#pragma once
// The Data page's numbers: records, examples, tokens, trained tokens, example length statistics,
// truncated and skipped counts, and the train / validation split. Value labels are named after
// their key ("records", "trained_tokens", "length_p95", ...) for tests and accessibility tools.
#include "ps/dataset.h"

#include <QHash>
#include <QWidget>

class QGridLayout;
class QLabel;

namespace ps::ui {

class DatasetStatsView final : public QWidget {
    Q_OBJECT

public:
    explicit DatasetStatsView(QWidget* parent = nullptr);

    // Record counts only (no tokenizer): token values show a dash.
    void setInfo(const ps::DatasetInfo& info);
    void setStats(const ps::DatasetStats& stats);
    // `error` replaces the counts when the split is not possible.
    void setSplit(std::int64_t train, std::int64_t validation, const QString& error = {});
    void clear();

    QString valueText(const QString& key) const;

private:
    void addValue(QGridLayout* grid, int row, int column, const QString& key, const QString& label);
    void set(const QString& key, const QString& text);

    QHash<QString, QLabel*> values_;
};

} // namespace ps::ui
