#pragma once
// The title and one-line explanation at the top of a studio page, styled like the Model page's.
#include <QString>

#include <functional>

class QLabel;
class QLineEdit;
class QVBoxLayout;
class QWidget;

namespace ps::ui {

// Adds the page title (large, bold) and its subtitle (secondary colour, wrapped) to `layout`.
// Returns the subtitle label (a page whose subtitle changes keeps it).
QLabel* addPageHeader(QVBoxLayout* layout, const QString& title, const QString& subtitle, QWidget* parent);

// A bold section title ("Statistics", "Target modules").
QLabel* sectionTitle(const QString& text, QWidget* parent);

// A label in the secondary (placeholder) text colour.
QLabel* secondaryLabel(const QString& text, QWidget* parent);

// `edit` and a "Browse..." button (tooltip `tip`) in one row. The button asks `choose` for a path;
// a non-empty answer replaces the text (native separators) and is reported as if typed:
// textEdited, then editingFinished.
QWidget* pathRow(QLineEdit* edit, const QString& tip, std::function<QString()> choose, QWidget* parent);
// pathRow for a base model folder: Browse opens a folder dialog at the current text.
QWidget* baseModelRow(QLineEdit* edit, QWidget* parent);

} // namespace ps::ui
