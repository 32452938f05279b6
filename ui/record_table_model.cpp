#include "record_table_model.h"

#include "qt_convert.h"

#include <QScopedValueRollback>

#include <exception>

namespace ps::ui {
namespace {

constexpr int kMaxCellChars = 240;
constexpr int kMaxTooltipChars = 2000;

// One line for the table: line breaks shown as a return symbol, long texts cut.
QString oneLine(const std::string& text) {
    QString s = toQ(text.size() > 4 * kMaxCellChars ? text.substr(0, 4 * kMaxCellChars) : text);
    s.replace(QLatin1Char('\n'), QStringLiteral(" \u23CE "));
    s.replace(QLatin1Char('\t'), QLatin1Char(' '));
    if (s.size() > kMaxCellChars)
        s = s.left(kMaxCellChars) + QStringLiteral("\u2026");
    return s;
}

QString tooltip(const std::string& text) {
    const QString s = toQ(text);
    return s.size() > kMaxTooltipChars ? s.left(kMaxTooltipChars) + QStringLiteral("\u2026") : s;
}

// The last message of `role` (the prompt and the response of a single-turn record).
std::string lastOf(const ps::DataRecord& r, const char* role) {
    for (auto it = r.messages.rbegin(); it != r.messages.rend(); ++it)
        if (it->role == role)
            return it->content;
    return {};
}

enum ConversationColumn { ConvLine, ConvSystem, ConvPrompt, ConvResponse, ConvTurns, ConvCount };
enum PromptColumn { PcLine, PcPrompt, PcCompletion, PcCount };
enum TextColumn { TextLine, TextText, TextCount };

} // namespace

RecordTableModel::RecordTableModel(QObject* parent) : QAbstractTableModel(parent) {}

RecordTableModel::~RecordTableModel() = default;

QString RecordTableModel::open(const QString& path, const ps::ReadOptions& options) {
    beginResetModel();
    records_.clear();
    reader_.reset();
    atEnd_ = true;
    readError_.clear();
    QString error;
    try {
        ps::ReadOptions read = options;
        read.skipBad = true; // bad records are listed by the analysis; the preview shows the good ones
        read.progress = nullptr;
        read.cancel = nullptr;
        reader_ = std::make_unique<ps::DatasetReader>(toStd(path), read);
        const ps::DataFormat format = reader_->info().format;
        kind_ = format == ps::DataFormat::Text               ? ps::RecordKind::Text
                : format == ps::DataFormat::PromptCompletion ? ps::RecordKind::PromptCompletion
                                                             : ps::RecordKind::Conversation;
        atEnd_ = false;
        records_ = readBatch();
    } catch (const std::exception& e) {
        error = toQ(e.what());
        reader_.reset();
    }
    // The first batch is part of the reset; views that react to it must not fetch inside it.
    const QScopedValueRollback<bool> guard(fetching_, true);
    endResetModel();
    return error;
}

std::vector<ps::DataRecord> RecordTableModel::readBatch() {
    std::vector<ps::DataRecord> batch;
    try {
        ps::DataRecord record;
        while (static_cast<int>(batch.size()) < kFetchBatch) {
            if (!reader_->next(record)) {
                atEnd_ = true;
                break;
            }
            batch.push_back(std::move(record));
        }
    } catch (const std::exception& e) {
        readError_ = toQ(e.what());
        atEnd_ = true;
    }
    if (atEnd_)
        reader_.reset(); // close the file
    return batch;
}

void RecordTableModel::clear() {
    beginResetModel();
    records_.clear();
    reader_.reset();
    atEnd_ = true;
    readError_.clear();
    endResetModel();
}

int RecordTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(records_.size());
}

int RecordTableModel::columnCount(const QModelIndex& parent) const {
    if (parent.isValid())
        return 0;
    switch (kind_) {
    case ps::RecordKind::Conversation:
        return ConvCount;
    case ps::RecordKind::PromptCompletion:
        return PcCount;
    case ps::RecordKind::Text:
        return TextCount;
    }
    return 0;
}

bool RecordTableModel::canFetchMore(const QModelIndex& parent) const {
    // Views (and model testers) may ask again while rows are being inserted: one fetch at a time.
    return !parent.isValid() && !atEnd_ && reader_ && !fetching_;
}

void RecordTableModel::fetchMore(const QModelIndex& parent) {
    if (!canFetchMore(parent))
        return;
    const QScopedValueRollback<bool> guard(fetching_, true);
    std::vector<ps::DataRecord> batch = readBatch();
    if (batch.empty())
        return;
    const int first = rowCount();
    beginInsertRows({}, first, first + static_cast<int>(batch.size()) - 1);
    for (auto& r : batch)
        records_.push_back(std::move(r));
    endInsertRows();
}

QString RecordTableModel::cellText(const ps::DataRecord& r, int column) const {
    switch (kind_) {
    case ps::RecordKind::Conversation:
        switch (column) {
        case ConvSystem:
            return oneLine(lastOf(r, "system"));
        case ConvPrompt:
            return oneLine(lastOf(r, "user"));
        case ConvResponse:
            return oneLine(lastOf(r, "assistant"));
        case ConvTurns: {
            int turns = 0;
            for (const auto& m : r.messages)
                turns += m.role == "assistant" ? 1 : 0;
            return QString::number(turns);
        }
        }
        break;
    case ps::RecordKind::PromptCompletion:
        return oneLine(column == PcPrompt ? r.prompt : r.completion);
    case ps::RecordKind::Text:
        return oneLine(r.text);
    }
    return {};
}

QVariant RecordTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const ps::DataRecord& r = recordAt(index.row());
    if (role == LineRole)
        return QVariant::fromValue(static_cast<qint64>(r.line));
    if (index.column() == 0) { // the line column
        if (role == Qt::DisplayRole)
            return QString::number(r.line);
        if (role == Qt::TextAlignmentRole)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    if (role == Qt::DisplayRole)
        return cellText(r, index.column());
    if (role == Qt::ToolTipRole) {
        if (kind_ == ps::RecordKind::Conversation) {
            QStringList turns;
            for (const auto& m : r.messages)
                turns << QStringLiteral("%1: %2").arg(toQ(m.role), tooltip(m.content));
            return turns.join(QStringLiteral("\n\n"));
        }
        if (kind_ == ps::RecordKind::PromptCompletion)
            return tooltip(index.column() == PcPrompt ? r.prompt : r.completion);
        return tooltip(r.text);
    }
    return {};
}

QVariant RecordTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    if (section == 0)
        return tr("Line");
    switch (kind_) {
    case ps::RecordKind::Conversation: {
        const QString names[] = {{}, tr("System"), tr("Prompt"), tr("Response"), tr("Turns")};
        return section < ConvCount ? names[section] : QVariant();
    }
    case ps::RecordKind::PromptCompletion:
        return section == PcPrompt ? tr("Prompt") : tr("Completion");
    case ps::RecordKind::Text:
        return tr("Text");
    }
    return {};
}

} // namespace ps::ui
