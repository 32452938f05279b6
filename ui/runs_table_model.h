#pragma once
// The runs table: one row per ps::RunRecord from the run catalog. Rows are keyed by run id, so
// that new catalog contents are merged in place (rows changed -> dataChanged, new runs inserted,
// vanished ones removed) and a live run's row updates without resetting selection or scroll.
#include "ps/run_catalog.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QStringList>

#include <map>

#include <vector>

namespace ps::ui {

class RunsTableModel final : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column {
        NameColumn,
        ModelColumn,
        MethodColumn,
        RankColumn,
        LearningRateColumn,
        StatusColumn,
        FinalLossColumn,
        BestEvalLossColumn,
        TokensPerSecColumn,
        PeakMemoryColumn,
        DurationColumn,
        DateColumn,
        TagsColumn,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1, // the underlying value: numbers for numeric columns
        IdRole,                      // QString: the run folder's name
        PathRole,                    // QString: the run folder
        StatusRole,                  // int: ps::RunStatus
        TagsRole,                    // QStringList
        SearchTextRole,              // QString: name, model, method, dataset, tags, notes (lower case)
    };

    explicit RunsTableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Merges `runs` into the rows by id (see above). Never resets the model.
    void setRuns(const std::vector<ps::RunRecord>& runs);
    const ps::RunRecord& runAt(int row) const { return runs_.at(static_cast<std::size_t>(row)); }
    // -1 when no row has this id.
    int rowForId(const QString& id) const;
    // Every tag of every run, sorted, once each (the tag filter's choices).
    QStringList allTags() const;
    bool hasActiveRuns() const;
    // The swatch in the Name column: the colours of the runs in the comparison (others get none),
    // so that the table doubles as the chart's legend.
    void setRunColors(const std::map<QString, QColor>& colors); // a run whose status is running (its row is polled)

private:
    QVariant displayText(const ps::RunRecord& r, int column) const;
    QVariant sortValue(const ps::RunRecord& r, int column) const;

    std::vector<ps::RunRecord> runs_;
    std::map<QString, QColor> colors_;
};

// Shared with the comparison pane and the CLI's way of writing them.
QString formatRunDuration(double seconds);     // "42s", "3m05s", "1h02m03s"; "—" for none
QString runStatusText(ps::RunStatus status);   // "Running", "Completed", ...
bool methodHasRank(const std::string& method); // lora, dora, rslora, loha, lokr

} // namespace ps::ui
