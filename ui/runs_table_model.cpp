#include "runs_table_model.h"

#include "qt_convert.h"
#include "run_colors.h"

#include "ps/human_format.h"

#include <QDateTime>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

namespace ps::ui {
namespace {

const QString kNone = QStringLiteral("\u2014");

bool sameRecord(const ps::RunRecord& a, const ps::RunRecord& b) {
    return a.id == b.id && a.path == b.path && a.name == b.name && a.model == b.model && a.method == b.method &&
           a.dataset == b.dataset && a.rank == b.rank && a.learningRate == b.learningRate && a.status == b.status &&
           a.finalLoss == b.finalLoss && a.bestEvalLoss == b.bestEvalLoss && a.steps == b.steps &&
           a.tokensPerSec == b.tokensPerSec && a.peakMemoryBytes == b.peakMemoryBytes &&
           a.durationSec == b.durationSec && a.startedAt == b.startedAt && a.tags == b.tags && a.notes == b.notes;
}

QString lossText(const std::optional<double>& v) {
    return v ? QString::number(*v, 'f', 4) : kNone;
}

// Missing losses sort after every real one (ascending), like an unfinished race.
double lossSortValue(const std::optional<double>& v) {
    return v && std::isfinite(*v) ? *v : std::numeric_limits<double>::max();
}

QDateTime startedLocal(const std::string& iso) {
    QDateTime t = QDateTime::fromString(toQ(iso), Qt::ISODate);
    return t.isValid() ? t.toLocalTime() : t;
}

QStringList tagList(const ps::RunRecord& r) {
    QStringList tags;
    for (const auto& t : r.tags)
        tags << toQ(t);
    return tags;
}

} // namespace

QString formatRunDuration(double seconds) {
    if (!(seconds > 0))
        return kNone;
    const auto s = static_cast<long long>(std::llround(seconds));
    if (s >= 3600)
        return QStringLiteral("%1h%2m%3s")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(s % 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1s").arg(s);
}

QString runStatusText(ps::RunStatus status) {
    switch (status) {
    case ps::RunStatus::Running:
        return RunsTableModel::tr("Running");
    case ps::RunStatus::Completed:
        return RunsTableModel::tr("Completed");
    case ps::RunStatus::Failed:
        return RunsTableModel::tr("Failed");
    case ps::RunStatus::Cancelled:
        return RunsTableModel::tr("Cancelled");
    case ps::RunStatus::Paused:
        return RunsTableModel::tr("Paused");
    }
    return {};
}

bool methodHasRank(const std::string& method) {
    return method == "lora" || method == "dora" || method == "rslora" || method == "loha" || method == "lokr";
}

RunsTableModel::RunsTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int RunsTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int RunsTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunsTableModel::displayText(const ps::RunRecord& r, int column) const {
    switch (column) {
    case NameColumn:
        return toQ(r.name);
    case ModelColumn:
        return r.model.empty() ? kNone : toQ(r.model);
    case MethodColumn:
        return r.method.empty() ? kNone : toQ(r.method);
    case RankColumn:
        return methodHasRank(r.method) ? QString::number(r.rank) : kNone;
    case LearningRateColumn:
        return r.learningRate > 0 ? QString::number(r.learningRate, 'g', 3) : kNone;
    case StatusColumn:
        return runStatusText(r.status);
    case FinalLossColumn:
        return lossText(r.finalLoss);
    case BestEvalLossColumn:
        return lossText(r.bestEvalLoss);
    case TokensPerSecColumn:
        return r.tokensPerSec > 0 ? QString::number(r.tokensPerSec, 'f', 1) : kNone;
    case PeakMemoryColumn:
        return r.peakMemoryBytes > 0 ? toQ(ps::formatByteSize(r.peakMemoryBytes)) : kNone;
    case DurationColumn:
        return formatRunDuration(r.durationSec);
    case DateColumn: {
        const QDateTime t = startedLocal(r.startedAt);
        if (!t.isValid())
            return kNone;
        // This year's runs without the year: the column stays narrow enough for the table to fit.
        const bool thisYear = t.date().year() == QDate::currentDate().year();
        return QLocale().toString(t, thisYear ? QStringLiteral("MMM d, HH:mm") : QStringLiteral("yyyy-MM-dd"));
    }
    case TagsColumn:
        return tagList(r).join(QStringLiteral(", "));
    }
    return {};
}

QVariant RunsTableModel::sortValue(const ps::RunRecord& r, int column) const {
    switch (column) {
    case RankColumn:
        return static_cast<qlonglong>(methodHasRank(r.method) ? r.rank : -1);
    case LearningRateColumn:
        return r.learningRate;
    case StatusColumn:
        return static_cast<int>(r.status);
    case FinalLossColumn:
        return lossSortValue(r.finalLoss);
    case BestEvalLossColumn:
        return lossSortValue(r.bestEvalLoss);
    case TokensPerSecColumn:
        return r.tokensPerSec;
    case PeakMemoryColumn:
        return static_cast<qulonglong>(r.peakMemoryBytes);
    case DurationColumn:
        return r.durationSec;
    case DateColumn:
        return toQ(r.startedAt); // ISO 8601 UTC sorts as text
    default:
        return displayText(r, column).toString().toLower();
    }
}

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ps::RunRecord& r = runs_[static_cast<std::size_t>(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return displayText(r, column);
    case Qt::ToolTipRole:
        if (column == NameColumn) {
            QString tip = tr("%1\nFolder: %2").arg(toQ(r.name), toQ(r.path));
            if (!r.dataset.empty())
                tip += tr("\nDataset: %1").arg(toQ(r.dataset));
            if (!r.notes.empty())
                tip += tr("\nNotes: %1").arg(toQ(r.notes));
            return tip;
        }
        if (column == DateColumn) // the full local time; the ISO UTC form is in summary.json
            return startedLocal(r.startedAt).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        return {};
    case Qt::DecorationRole:
        // The run's chart colour, so a row and its curves are easy to match.
        if (column == NameColumn)
            if (const auto it = colors_.find(toQ(r.id)); it != colors_.end())
                return runSwatchIcon(it->second);
        return {};
    case Qt::ForegroundRole:
        if (column == StatusColumn && r.status == ps::RunStatus::Failed)
            return QColor(0xC0, 0x39, 0x2B);
        if (column == StatusColumn && r.status == ps::RunStatus::Running)
            return QGuiApplication::palette().brush(QPalette::Highlight);
        return {};
    case Qt::TextAlignmentRole:
        switch (column) {
        case RankColumn:
        case LearningRateColumn:
        case FinalLossColumn:
        case BestEvalLossColumn:
        case TokensPerSecColumn:
        case PeakMemoryColumn:
        case DurationColumn:
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case SortRole:
        return sortValue(r, column);
    case IdRole:
        return toQ(r.id);
    case PathRole:
        return toQ(r.path);
    case StatusRole:
        return static_cast<int>(r.status);
    case TagsRole:
        return tagList(r);
    case SearchTextRole:
        return QStringList{toQ(r.name),   toQ(r.id),      toQ(r.model),
                           toQ(r.method), toQ(r.dataset), tagList(r).join(QLatin1Char(' ')),
                           toQ(r.notes)}
            .join(QLatin1Char('\n'))
            .toLower();
    }
    return {};
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Name");
        case ModelColumn:
            return tr("Model");
        case MethodColumn:
            return tr("Method");
        case RankColumn:
            return tr("Rank");
        case LearningRateColumn:
            return tr("LR");
        case StatusColumn:
            return tr("Status");
        case FinalLossColumn:
            return tr("Final loss");
        case BestEvalLossColumn:
            return tr("Best eval");
        case TokensPerSecColumn:
            return tr("Tokens/s");
        case PeakMemoryColumn:
            return tr("Peak mem.");
        case DurationColumn:
            return tr("Duration");
        case DateColumn:
            return tr("Started");
        case TagsColumn:
            return tr("Tags");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case LearningRateColumn:
            return tr("Peak learning rate");
        case FinalLossColumn:
            return tr("Last logged training loss");
        case BestEvalLossColumn:
            return tr("Lowest validation loss");
        case TokensPerSecColumn:
            return tr("Trained tokens per second, averaged over the run");
        case PeakMemoryColumn:
            return tr("Peak process memory (CPU) or peak GPU memory allocated");
        case DurationColumn:
            return tr("Training wall time, pauses excluded");
        default:
            return {};
        }
    }
    return {};
}

void RunsTableModel::setRuns(const std::vector<ps::RunRecord>& runs) {
    std::set<std::string> incoming;
    for (const auto& r : runs)
        incoming.insert(r.id);
    // Vanished runs: removed bottom-up so that the rows still to remove keep their numbers.
    for (int row = rowCount() - 1; row >= 0; --row) {
        if (incoming.count(runs_[static_cast<std::size_t>(row)].id))
            continue;
        beginRemoveRows({}, row, row);
        runs_.erase(runs_.begin() + row);
        endRemoveRows();
    }
    for (const auto& r : runs) {
        const int row = rowForId(toQ(r.id));
        if (row >= 0) {
            if (sameRecord(runs_[static_cast<std::size_t>(row)], r))
                continue;
            runs_[static_cast<std::size_t>(row)] = r;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            continue;
        }
        // New runs go at the end; the view's sort places them.
        const int end = rowCount();
        beginInsertRows({}, end, end);
        runs_.push_back(r);
        endInsertRows();
    }
}

int RunsTableModel::rowForId(const QString& id) const {
    const std::string key = toStd(id);
    for (std::size_t i = 0; i < runs_.size(); ++i)
        if (runs_[i].id == key)
            return static_cast<int>(i);
    return -1;
}

QStringList RunsTableModel::allTags() const {
    std::set<QString> tags;
    for (const auto& r : runs_)
        for (const auto& t : r.tags)
            tags.insert(toQ(t));
    return QStringList(tags.begin(), tags.end());
}

void RunsTableModel::setRunColors(const std::map<QString, QColor>& colors) {
    const auto previous = std::exchange(colors_, colors);
    for (int row = 0; row < rowCount(); ++row) {
        const QString id = toQ(runs_[static_cast<std::size_t>(row)].id);
        const auto a = previous.find(id);
        const auto b = colors_.find(id);
        const bool same =
            (a == previous.end()) == (b == colors_.end()) && (a == previous.end() || a->second == b->second);
        if (!same)
            Q_EMIT dataChanged(index(row, NameColumn), index(row, NameColumn), {Qt::DecorationRole});
    }
}

bool RunsTableModel::hasActiveRuns() const {
    return std::any_of(runs_.begin(), runs_.end(),
                       [](const ps::RunRecord& r) { return r.status == ps::RunStatus::Running; });
}

} // namespace ps::ui
