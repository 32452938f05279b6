#pragma once
// The models table: one row per ps::HubModel (cache snapshots and user folders).
#include "ps/hub.h"

#include <QAbstractTableModel>

#include <vector>

namespace ps::ui {

class ModelListModel final : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { IdColumn, ArchitectureColumn, ParametersColumn, SizeColumn, RevisionColumn, ColumnCount };
    enum Role {
        PathRole = Qt::UserRole + 1, // QString: the folder to load
        BrokenRole,                  // bool
        ReasonRole,                  // QString: why it is broken
        SortRole,                    // the underlying value (numbers for numeric columns)
    };

    explicit ModelListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setModels(std::vector<ps::HubModel> models);
    // Adds the model, or replaces the row with the same path; returns its row.
    int upsert(const ps::HubModel& model);
    // -1 when no row has this folder.
    int rowForPath(const QString& path) const;
    const ps::HubModel& modelAt(int row) const { return models_.at(static_cast<std::size_t>(row)); }

private:
    QVariant displayText(const ps::HubModel& m, int column) const;

    std::vector<ps::HubModel> models_;
};

} // namespace ps::ui
