#pragma once
// A page that is not built yet says so plainly, with what it will do, instead of showing
// controls that do nothing.
#include "glyph_icons.h"

#include <QWidget>

namespace ps::ui {

class PlaceholderPage final : public QWidget {
    Q_OBJECT

public:
    PlaceholderPage(Glyph glyph, const QString& title, const QString& promise, QWidget* parent = nullptr);
};

} // namespace ps::ui
