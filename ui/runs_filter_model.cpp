#include "runs_filter_model.h"

#include "runs_table_model.h"

namespace ps::ui {

RunsFilterModel::RunsFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(RunsTableModel::SortRole);
    setSortLocaleAware(true);
    // Rows whose values change (a live run) move to their sorted place by themselves.
    setDynamicSortFilter(true);
}

void RunsFilterModel::setSearchText(const QString& text) {
    words_ = text.toLower().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    invalidateRowsFilter();
}

void RunsFilterModel::setStatusFilter(std::optional<int> status) {
    status_ = status;
    invalidateRowsFilter();
}

void RunsFilterModel::setTagFilter(const QString& tag) {
    tag_ = tag;
    invalidateRowsFilter();
}

bool RunsFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (status_ && index.data(RunsTableModel::StatusRole).toInt() != *status_)
        return false;
    if (!tag_.isEmpty() && !index.data(RunsTableModel::TagsRole).toStringList().contains(tag_))
        return false;
    const QString text = index.data(RunsTableModel::SearchTextRole).toString();
    for (const QString& word : words_)
        if (!text.contains(word))
            return false;
    return true;
}

} // namespace ps::ui
