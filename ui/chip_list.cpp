#include "chip_list.h"

#include <QPainter>

namespace ps::ui {
namespace {
constexpr int kPadX = 7;
constexpr int kPadY = 2;
constexpr int kGap = 6;
} // namespace

ChipList::ChipList(QWidget* parent) : QWidget(parent) {
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
}

void ChipList::setItems(const QStringList& items) {
    items_ = items;
    setAccessibleDescription(items.join(QStringLiteral(", ")));
    updateGeometry();
    update();
}

QList<QRect> ChipList::layoutChips(int width) const {
    QList<QRect> rects;
    const QFontMetrics fm = fontMetrics();
    const int h = fm.height() + 2 * kPadY;
    int x = 0;
    int y = 0;
    for (const QString& item : items_) {
        const int w = fm.horizontalAdvance(item) + 2 * kPadX;
        if (x > 0 && x + w > width) {
            x = 0;
            y += h + kGap;
        }
        rects.append(QRect(x, y, w, h));
        x += w + kGap;
    }
    return rects;
}

int ChipList::heightForWidth(int width) const {
    const QList<QRect> rects = layoutChips(width);
    return rects.isEmpty() ? fontMetrics().height() : rects.last().bottom() + 1;
}

QSize ChipList::sizeHint() const {
    const int width = 320;
    return {width, heightForWidth(width)};
}

QSize ChipList::minimumSizeHint() const {
    return {60, fontMetrics().height() + 2 * kPadY};
}

void ChipList::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QList<QRect> rects = layoutChips(width());
    QColor border = palette().color(QPalette::Mid);
    border.setAlphaF(0.6);
    for (int i = 0; i < rects.size(); ++i) {
        const QRectF r = QRectF(rects[i]).adjusted(0.5, 0.5, -0.5, -0.5);
        p.setPen(border);
        p.setBrush(palette().color(QPalette::AlternateBase));
        p.drawRoundedRect(r, r.height() / 2, r.height() / 2);
        p.setPen(palette().color(QPalette::Text));
        p.drawText(rects[i], Qt::AlignCenter, items_[i]);
    }
}

} // namespace ps::ui
