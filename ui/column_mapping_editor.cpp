#include "column_mapping_editor.h"

#include "page_header.h"
#include "qt_convert.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>

#include <map>

namespace ps::ui {

ColumnMappingEditor::ColumnMappingEditor(QWidget* parent) : QWidget(parent) {
    form_ = new QFormLayout(this);
    form_->setContentsMargins(0, 0, 0, 0);
    form_->setVerticalSpacing(4);
    form_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    empty_ = secondaryLabel(tr("Open a file to map its columns."), this);
    empty_->setWordWrap(true);
    form_->addRow(empty_);
}

QList<QPair<QString, QString>> ColumnMappingEditor::formatFields(ps::DataFormat format) {
    auto same = [](const char* name) { return qMakePair(QString::fromLatin1(name), QString::fromLatin1(name)); };
    switch (format) {
    case ps::DataFormat::Alpaca:
        return {same("instruction"), same("input"), same("output"), same("system"), same("history")};
    case ps::DataFormat::ShareGpt:
        return {same("conversations"), same("system"), qMakePair(QStringLiteral("role"), QStringLiteral("from")),
                qMakePair(QStringLiteral("content"), QStringLiteral("value"))};
    case ps::DataFormat::Messages:
        return {same("messages"), same("role"), same("content")};
    case ps::DataFormat::PromptCompletion:
        return {same("prompt"), same("completion")};
    case ps::DataFormat::Text:
        return {same("text")};
    case ps::DataFormat::Auto:
        break;
    }
    return {};
}

void ColumnMappingEditor::setFormat(ps::DataFormat format, const QStringList& fields, const QString& mapping) {
    format_ = format;
    fields_ = fields;
    mapping_.clear();
    try {
        for (const auto& [field, column] : ps::parseColumnMapping(toStd(mapping), "dataset_columns"))
            mapping_.insert(toQ(field), toQ(column));
    } catch (const ps::Error&) {
        // The page shows the error; the editor starts from the usual names.
    }
    rebuild();
}

void ColumnMappingEditor::clear() {
    format_ = ps::DataFormat::Auto;
    fields_.clear();
    mapping_.clear();
    rebuild();
}

QComboBox* ColumnMappingEditor::fieldCombo(const QString& field) const {
    return combos_.value(field);
}

void ColumnMappingEditor::rebuild() {
    while (form_->rowCount() > 0)
        form_->removeRow(0);
    combos_.clear();
    defaults_.clear();
    empty_ = nullptr;
    const auto fields = formatFields(format_);
    if (fields.isEmpty()) {
        empty_ = secondaryLabel(tr("Open a file to map its columns."), this);
        empty_->setWordWrap(true);
        form_->addRow(empty_);
        return;
    }
    for (const auto& [field, usual] : fields) {
        auto* combo = new QComboBox(this);
        combo->setObjectName(QStringLiteral("column_") + field);
        combo->setEditable(true);
        combo->setInsertPolicy(QComboBox::NoInsert);
        combo->addItems(fields_);
        if (!fields_.contains(usual))
            combo->addItem(usual);
        combo->setCurrentText(mapping_.value(field, usual));
        combo->setToolTip(tr("The column of your file that holds '%1' (usually '%2').").arg(field, usual));
        combo->setAccessibleName(tr("Column for %1").arg(field));
        combos_.insert(field, combo);
        defaults_.insert(field, usual);
        auto commit = [this, field, combo] {
            const QString text = combo->currentText().trimmed();
            if (text.isEmpty() || text == defaults_.value(field))
                mapping_.remove(field);
            else
                mapping_.insert(field, text);
            Q_EMIT mappingChanged(mappingText());
        };
        connect(combo, &QComboBox::activated, this, commit);
        connect(combo->lineEdit(), &QLineEdit::editingFinished, this, commit);
        form_->addRow(field, combo);
    }
}

QString ColumnMappingEditor::mappingText() const {
    std::map<std::string, std::string> columns;
    for (auto it = mapping_.cbegin(); it != mapping_.cend(); ++it)
        columns[toStd(it.key())] = toStd(it.value());
    return toQ(ps::columnMappingText(columns));
}

} // namespace ps::ui
