#pragma once
// Line icons drawn with QPainter: crisp at any size and device pixel ratio, and tinted from the
// current palette (window text; highlighted text when selected), so they follow light and dark
// themes without shipping a second icon set or needing the Qt SVG module.
#include <QIcon>

class QPainter;
class QRectF;

namespace ps::ui {

enum class Glyph { Model, Data, Method, Train, Runs, Playground, Export, Folder, Warning, Refresh, Cache, Search };

QIcon glyphIcon(Glyph glyph);

// Paints `glyph` into `rect` with the painter's current pen colour (pen width scales with rect).
void paintGlyph(QPainter& painter, const QRectF& rect, Glyph glyph);

} // namespace ps::ui
