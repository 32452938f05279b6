#include "glyph_icons.h"

#include <QGuiApplication>
#include <QIconEngine>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QPixmap>

namespace ps::ui {
namespace {

// All glyphs are drawn on a 24 x 24 grid with a 1.7 unit stroke, like common line-icon sets.
void drawGlyph(QPainter& p, Glyph glyph) {
    QPainterPath path;
    switch (glyph) {
    case Glyph::Model: // a cube: the model
        path.moveTo(12, 3);
        path.lineTo(20, 7.5);
        path.lineTo(20, 16.5);
        path.lineTo(12, 21);
        path.lineTo(4, 16.5);
        path.lineTo(4, 7.5);
        path.closeSubpath();
        path.moveTo(4, 7.5);
        path.lineTo(12, 12);
        path.lineTo(20, 7.5);
        path.moveTo(12, 12);
        path.lineTo(12, 21);
        break;
    case Glyph::Data: // a table of rows
        path.addRoundedRect(QRectF(3.5, 4.5, 17, 15), 2.5, 2.5);
        path.moveTo(3.5, 9.5);
        path.lineTo(20.5, 9.5);
        path.moveTo(3.5, 14.5);
        path.lineTo(20.5, 14.5);
        path.moveTo(9.5, 9.5);
        path.lineTo(9.5, 19.5);
        break;
    case Glyph::Method: // sliders: rank, alpha, dropout
        for (int i = 0; i < 3; ++i) {
            const double y = 6 + i * 6;
            const double knob = i == 1 ? 15 : (i == 0 ? 8 : 11);
            path.moveTo(3.5, y);
            path.lineTo(knob - 2, y);
            path.moveTo(knob + 2, y);
            path.lineTo(20.5, y);
            path.addEllipse(QPointF(knob, y), 2, 2);
        }
        break;
    case Glyph::Train: // a falling loss curve on axes
        path.moveTo(4, 3.5);
        path.lineTo(4, 20);
        path.lineTo(20.5, 20);
        path.moveTo(7, 6);
        path.cubicTo(9, 13, 12, 15.5, 20, 16);
        break;
    case Glyph::Runs: // a list with a clock: earlier runs
        path.moveTo(3.5, 6);
        path.lineTo(11, 6);
        path.moveTo(3.5, 11);
        path.lineTo(9, 11);
        path.moveTo(3.5, 16);
        path.lineTo(9, 16);
        path.addEllipse(QPointF(16, 15), 5, 5);
        path.moveTo(16, 12.5);
        path.lineTo(16, 15);
        path.lineTo(18, 16.2);
        break;
    case Glyph::Playground: // a speech bubble
        path.moveTo(6.5, 4.5);
        path.lineTo(17.5, 4.5);
        path.quadTo(20.5, 4.5, 20.5, 7.5);
        path.lineTo(20.5, 13.5);
        path.quadTo(20.5, 16.5, 17.5, 16.5);
        path.lineTo(10, 16.5);
        path.lineTo(5.5, 20);
        path.lineTo(6, 16.4);
        path.quadTo(3.5, 16, 3.5, 13.5);
        path.lineTo(3.5, 7.5);
        path.quadTo(3.5, 4.5, 6.5, 4.5);
        path.closeSubpath();
        path.moveTo(8, 10.5);
        path.lineTo(16, 10.5);
        break;
    case Glyph::Export: // a tray with an arrow leaving it
        path.moveTo(4, 13.5);
        path.lineTo(4, 19.5);
        path.lineTo(20, 19.5);
        path.lineTo(20, 13.5);
        path.moveTo(12, 15);
        path.lineTo(12, 3.5);
        path.moveTo(7.5, 8);
        path.lineTo(12, 3.5);
        path.lineTo(16.5, 8);
        break;
    case Glyph::Folder:
        path.moveTo(3.5, 7);
        path.quadTo(3.5, 5, 5.5, 5);
        path.lineTo(9.5, 5);
        path.lineTo(11.5, 7.5);
        path.lineTo(18.5, 7.5);
        path.quadTo(20.5, 7.5, 20.5, 9.5);
        path.lineTo(20.5, 17);
        path.quadTo(20.5, 19, 18.5, 19);
        path.lineTo(5.5, 19);
        path.quadTo(3.5, 19, 3.5, 17);
        path.closeSubpath();
        break;
    case Glyph::Warning:
        path.moveTo(12, 3.5);
        path.lineTo(21, 19.5);
        path.lineTo(3, 19.5);
        path.closeSubpath();
        path.moveTo(12, 9.5);
        path.lineTo(12, 13.5);
        path.addEllipse(QPointF(12, 16.6), 0.35, 0.35);
        break;
    case Glyph::Refresh:
        path.arcMoveTo(QRectF(4.5, 4.5, 15, 15), 60);
        path.arcTo(QRectF(4.5, 4.5, 15, 15), 60, 280);
        path.moveTo(15.8, 3.2);
        path.lineTo(15.9, 6.1);
        path.lineTo(13, 6.6);
        break;
    case Glyph::Cache: // stacked disks: the local cache
        path.addEllipse(QRectF(4.5, 3.5, 15, 5));
        path.moveTo(4.5, 6);
        path.lineTo(4.5, 18);
        path.cubicTo(4.5, 21.3, 19.5, 21.3, 19.5, 18);
        path.lineTo(19.5, 6);
        path.moveTo(4.5, 12);
        path.cubicTo(4.5, 15.3, 19.5, 15.3, 19.5, 12);
        break;
    case Glyph::Search:
        path.addEllipse(QPointF(10.5, 10.5), 6, 6);
        path.moveTo(15, 15);
        path.lineTo(20, 20);
        break;
    }
    p.drawPath(path);
}

class GlyphIconEngine final : public QIconEngine {
public:
    explicit GlyphIconEngine(Glyph glyph) : glyph_(glyph) {}

    void paint(QPainter* painter, const QRect& rect, QIcon::Mode mode, QIcon::State) override {
        const QPalette palette = QGuiApplication::palette();
        QColor color = palette.color(QPalette::WindowText);
        if (mode == QIcon::Selected)
            color = palette.color(QPalette::HighlightedText);
        else if (mode == QIcon::Disabled)
            color = palette.color(QPalette::Disabled, QPalette::WindowText);
        painter->save();
        painter->setPen(QPen(color, 1.0));
        paintGlyph(*painter, rect, glyph_);
        painter->restore();
    }

    // Called with the size in device pixels, so the glyph is drawn at full resolution on
    // high-DPI screens instead of being scaled up from a small pixmap.
    QPixmap pixmap(const QSize& size, QIcon::Mode mode, QIcon::State state) override {
        QPixmap pm(size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        paint(&p, QRect(QPoint(0, 0), size), mode, state);
        return pm;
    }

    QIconEngine* clone() const override { return new GlyphIconEngine(glyph_); }
    QString key() const override { return QStringLiteral("ps-glyph"); }

private:
    Glyph glyph_;
};

} // namespace

void paintGlyph(QPainter& painter, const QRectF& rect, Glyph glyph) {
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing);
    const double side = std::min(rect.width(), rect.height());
    const double scale = side / 24.0;
    painter.translate(rect.center().x() - side / 2, rect.center().y() - side / 2);
    painter.scale(scale, scale);
    QPen pen = painter.pen();
    // Thin strokes look washed out when small; keep them at least ~1.3 device pixels.
    pen.setWidthF(std::max(1.7, 1.3 / scale));
    pen.setCapStyle(Qt::RoundCap);
    pen.setJoinStyle(Qt::RoundJoin);
    painter.setPen(pen);
    painter.setBrush(Qt::NoBrush);
    drawGlyph(painter, glyph);
    painter.restore();
}

QIcon glyphIcon(Glyph glyph) {
    return QIcon(new GlyphIconEngine(glyph));
}

} // namespace ps::ui
