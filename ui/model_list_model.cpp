#include "model_list_model.h"

#include "glyph_icons.h"
#include "qt_convert.h"

#include "ps/human_format.h"

#include <QDir>
#include <QGuiApplication>
#include <QPalette>

namespace ps::ui {
namespace {

QString samePath(const QString& p) {
    return QDir::cleanPath(p);
}

} // namespace

ModelListModel::ModelListModel(QObject* parent) : QAbstractTableModel(parent) {}

int ModelListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(models_.size());
}

int ModelListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ModelListModel::displayText(const ps::HubModel& m, int column) const {
    const QString none = QStringLiteral("\u2014");
    switch (column) {
    case IdColumn:
        return toQ(m.id);
    case ArchitectureColumn:
        return m.architecture.empty() ? none : toQ(m.architecture);
    case ParametersColumn:
        return m.numParameters > 0 ? toQ(ps::formatParameterCount(m.numParameters)) : none;
    case SizeColumn:
        return toQ(ps::formatByteSize(m.sizeBytes));
    case RevisionColumn:
        // Seven hex digits, like git's short hashes; folders have no revision.
        return m.fromCache ? toQ(m.revision.substr(0, 7)) : tr("local folder");
    }
    return {};
}

QVariant ModelListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ps::HubModel& m = models_[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return displayText(m, index.column());
    case Qt::ToolTipRole:
        if (m.broken)
            return tr("Can't be used: %1").arg(toQ(m.reason));
        return index.column() == RevisionColumn && m.fromCache ? toQ(m.revision) : toQ(m.path);
    case Qt::DecorationRole:
        if (index.column() != IdColumn)
            return {};
        return glyphIcon(m.broken ? Glyph::Warning : (m.fromCache ? Glyph::Model : Glyph::Folder));
    case Qt::ForegroundRole:
        if (m.broken)
            return QGuiApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == ParametersColumn || index.column() == SizeColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case PathRole:
        return toQ(m.path);
    case BrokenRole:
        return m.broken;
    case ReasonRole:
        return toQ(m.reason);
    case SortRole:
        if (index.column() == ParametersColumn)
            return static_cast<qlonglong>(m.numParameters);
        if (index.column() == SizeColumn)
            return static_cast<qulonglong>(m.sizeBytes);
        return displayText(m, index.column()).toString().toLower();
    }
    return {};
}

QVariant ModelListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::TextAlignmentRole)
        return section == ParametersColumn || section == SizeColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                                    : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IdColumn:
        return tr("Model");
    case ArchitectureColumn:
        return tr("Architecture");
    case ParametersColumn:
        return tr("Parameters");
    case SizeColumn:
        return tr("Size");
    case RevisionColumn:
        return tr("Revision");
    }
    return {};
}

void ModelListModel::setModels(std::vector<ps::HubModel> models) {
    beginResetModel();
    models_ = std::move(models);
    endResetModel();
}

int ModelListModel::upsert(const ps::HubModel& model) {
    const int existing = rowForPath(toQ(model.path));
    if (existing >= 0) {
        models_[static_cast<std::size_t>(existing)] = model;
        Q_EMIT dataChanged(index(existing, 0), index(existing, ColumnCount - 1));
        return existing;
    }
    const int row = rowCount();
    beginInsertRows({}, row, row);
    models_.push_back(model);
    endInsertRows();
    return row;
}

int ModelListModel::rowForPath(const QString& path) const {
    const QString wanted = samePath(path);
    for (std::size_t i = 0; i < models_.size(); ++i)
        if (samePath(toQ(models_[i].path)) == wanted)
            return static_cast<int>(i);
    return -1;
}

} // namespace ps::ui
