#pragma once
// Saving a LiveChart's plot (axes, curves, legend) as a PNG image or an SVG drawing. Both are
// written through QSaveFile: the file appears complete or not at all, never half-written.
#include <QString>

namespace ps::ui {

class LiveChart;

// PNG at twice the on-screen size (sharp on high-density screens and in documents).
// Returns "" on success, else what went wrong, naming the file.
QString exportChartPng(const LiveChart& chart, const QString& path);
// SVG (vector: curves stay sharp at any zoom), at the on-screen size.
QString exportChartSvg(const LiveChart& chart, const QString& path);

} // namespace ps::ui
