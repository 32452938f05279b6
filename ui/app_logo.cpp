#include "app_logo.h"

#include <QImageReader>
#include <QLinearGradient>
#include <QPainter>
#include <QPixmap>

#include <algorithm>

// rcc's initialiser for resources/peft_studio.qrc, which lives in this static library: the
// reference below makes the linker keep it (Q_INIT_RESOURCE must be outside any namespace).
static void initStudioResources() {
    Q_INIT_RESOURCE(peft_studio);
}

namespace ps::ui {

QColor accentColor() {
    return QColor(0x63, 0x66, 0xF1);
}

void paintAppLogo(QPainter& p, const QRectF& rect) {
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    const double side = std::min(rect.width(), rect.height());
    p.translate(rect.center().x() - side / 2, rect.center().y() - side / 2);
    p.scale(side / 256.0, side / 256.0);
    p.setPen(Qt::NoPen);

    QLinearGradient bg(16, 16, 240, 240);
    bg.setColorAt(0, accentColor());
    bg.setColorAt(1, QColor(0x7C, 0x3A, 0xED));
    p.setBrush(bg);
    p.drawRoundedRect(QRectF(16, 16, 224, 224), 52, 52);

    p.setBrush(Qt::white);
    p.drawRoundedRect(QRectF(52, 88, 116, 116), 14, 14);
    QColor grid = accentColor();
    grid.setAlphaF(0.28);
    p.setPen(QPen(grid, 4));
    for (double x : {90.7, 129.3})
        p.drawLine(QPointF(x, 96), QPointF(x, 196));
    for (double y : {126.7, 165.3})
        p.drawLine(QPointF(60, y), QPointF(160, y));

    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0xFB, 0xBF, 0x24));
    p.drawRoundedRect(QRectF(52, 52, 116, 24), 12, 12);
    p.drawRoundedRect(QRectF(180, 88, 24, 116), 12, 12);
    p.restore();
}

QIcon appIcon() {
    initStudioResources();
    if (QImageReader::supportedImageFormats().contains("svg"))
        return QIcon(QStringLiteral(":/icons/peft-studio.svg"));
    QIcon icon;
    for (int size : {16, 24, 32, 48, 64, 128, 256}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        paintAppLogo(p, QRectF(0, 0, size, size));
        p.end();
        icon.addPixmap(pm);
    }
    return icon;
}

} // namespace ps::ui
