#pragma once
// The PEFT Studio logo (resources/icons/peft-studio.svg) as an icon and as a painter routine.
#include <QIcon>

class QPainter;
class QRectF;

namespace ps::ui {

// The window icon: the SVG from the resources where Qt can render SVG, otherwise the same
// shapes painted by paintAppLogo().
QIcon appIcon();

// Paints the logo scaled into `rect` (the SVG's 256 x 256 canvas mapped onto it).
void paintAppLogo(QPainter& painter, const QRectF& rect);

// The accent colour of the logo; the one colour the UI does not take from the palette.
QColor accentColor();

} // namespace ps::ui
