#include "chart_export.h"

#include "live_chart.h"
#include "qcustomplot_include.h"

#include <QCoreApplication>
#include <QSaveFile>
#include <QSvgGenerator>

namespace ps::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("ChartExport", text);
}

QString saveFailure(const QString& path, const QString& reason) {
    return tr("Cannot save %1: %2").arg(path, reason);
}

QSize plotSize(const QCustomPlot* plot) {
    return QSize(std::max(plot->width(), 640), std::max(plot->height(), 360));
}

} // namespace

QString exportChartPng(const LiveChart& chart, const QString& path) {
    QCustomPlot* plot = chart.plot();
    const QSize size = plotSize(plot);
    const QPixmap pixmap = plot->toPixmap(size.width(), size.height(), 2.0);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return saveFailure(path, file.errorString());
    if (!pixmap.save(&file, "PNG")) {
        file.cancelWriting();
        return saveFailure(path, tr("the image could not be encoded"));
    }
    if (!file.commit())
        return saveFailure(path, file.errorString());
    return {};
}

QString exportChartSvg(const LiveChart& chart, const QString& path) {
    QCustomPlot* plot = chart.plot();
    const QSize size = plotSize(plot);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return saveFailure(path, file.errorString());
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(chart.accessibleName());
    svg.setDescription(tr("Exported from PEFT Studio"));
    QCPPainter painter;
    if (!painter.begin(&svg)) {
        file.cancelWriting();
        return saveFailure(path, tr("the drawing could not be started"));
    }
    // As QCustomPlot's own PDF export: vector mode (no pixel-alignment tricks), no cached layers.
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    plot->toPainter(&painter, size.width(), size.height());
    painter.end();
    if (!file.commit())
        return saveFailure(path, file.errorString());
    return {};
}

} // namespace ps::ui
