#pragma once
// The title and one-line explanation at the top of a studio page, styled like the Model page's.
#include <QString>

class QLabel;
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

} // namespace ps::ui
