#pragma once
// Sorting and filtering of the runs table: numbers sort as numbers (RunsTableModel::SortRole), a
// search box matches name, model, method, dataset, tags and notes (every word must match, in any
// order), and the status and tag filters narrow the list further.
#include <QSortFilterProxyModel>
#include <QStringList>

#include <optional>

namespace ps::ui {

class RunsFilterModel final : public QSortFilterProxyModel {
    Q_OBJECT

public:
    explicit RunsFilterModel(QObject* parent = nullptr);

    void setSearchText(const QString& text);
    // nullopt: every status; else a ps::RunStatus value.
    void setStatusFilter(std::optional<int> status);
    // Empty: every run; else only runs carrying this tag.
    void setTagFilter(const QString& tag);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QStringList words_;
    std::optional<int> status_;
    QString tag_;
};

} // namespace ps::ui
