#pragma once
// Column mapping: for each field the detected (or chosen) format reads, which column of the
// file holds it. Edits come out as the dataset_columns text ("instruction=question,...") with
// only the fields that differ from the format's usual names.
#include "ps/dataset.h"

#include <QMap>
#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;

namespace ps::ui {

class ColumnMappingEditor final : public QWidget {
    Q_OBJECT

public:
    explicit ColumnMappingEditor(QWidget* parent = nullptr);

    // `fields`: the columns of the file's first record; `mapping`: the dataset_columns text.
    void setFormat(ps::DataFormat format, const QStringList& fields, const QString& mapping);
    void clear();
    // The combo for a field ("instruction"), for tests; null when the format has no such field.
    QComboBox* fieldCombo(const QString& field) const;
    QString mappingText() const;

    // The fields a format reads and the name each has when not mapped.
    static QList<QPair<QString, QString>> formatFields(ps::DataFormat format);

Q_SIGNALS:
    void mappingChanged(const QString& mapping);

private:
    void rebuild();

    QFormLayout* form_ = nullptr;
    QLabel* empty_ = nullptr;
    ps::DataFormat format_ = ps::DataFormat::Auto;
    QStringList fields_;
    QMap<QString, QString> mapping_;   // field -> column, as set
    QMap<QString, QComboBox*> combos_; // field -> its editor
    QMap<QString, QString> defaults_;  // field -> usual column name
};

} // namespace ps::ui
