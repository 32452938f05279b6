#pragma once
// The Data page's preview: the records of a dataset file as a table, read lazily — the view asks
// for more rows (canFetchMore / fetchMore) as the user scrolls, kFetchBatch records at a time,
// so a file of millions of records costs only what has been looked at. Records are shown as
// training sees them (after format detection and column mapping), one column per part.
#include "ps/dataset.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace ps::ui {

class RecordTableModel final : public QAbstractTableModel {
    Q_OBJECT

public:
    static constexpr int kFetchBatch = 100;
    enum Role {
        LineRole = Qt::UserRole + 1, // qint64: line of the file where the record starts
    };

    explicit RecordTableModel(QObject* parent = nullptr);
    ~RecordTableModel() override;

    // Opens `path` and reads the first batch. Returns the error (empty when the file opened).
    QString open(const QString& path, const ps::ReadOptions& options);
    void clear();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

    const ps::DataRecord& recordAt(int row) const { return records_.at(static_cast<std::size_t>(row)); }
    ps::RecordKind kind() const { return kind_; }
    // The problem that stopped reading part-way, if any.
    QString readError() const { return readError_; }

private:
    std::vector<ps::DataRecord> readBatch();
    QString cellText(const ps::DataRecord& record, int column) const;

    std::unique_ptr<ps::DatasetReader> reader_;
    std::vector<ps::DataRecord> records_;
    ps::RecordKind kind_ = ps::RecordKind::Conversation;
    bool atEnd_ = true;
    bool fetching_ = false;
    QString readError_;
};

} // namespace ps::ui
