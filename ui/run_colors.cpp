#include "run_colors.h"

#include <QByteArray>
#include <QPainter>
#include <QPixmap>

#include <array>
#include <cstdint>

namespace ps::ui {
namespace {

// Matplotlib's "tab10": ten hues made to be told apart, mid-luminance so that they read on
// light and dark chart backgrounds alike.
const std::array<QColor, 10> kPalette{QColor(0x1F, 0x77, 0xB4), QColor(0xFF, 0x7F, 0x0E), QColor(0x2C, 0xA0, 0x2C),
                                      QColor(0xD6, 0x27, 0x28), QColor(0x94, 0x67, 0xBD), QColor(0x8C, 0x56, 0x4B),
                                      QColor(0xE3, 0x77, 0xC2), QColor(0x17, 0xBE, 0xCF), QColor(0xBC, 0xBD, 0x22),
                                      QColor(0x7F, 0x7F, 0x7F)};

std::size_t preferredSlot(const QString& runId) {
    // FNV-1a rather than qHash: qHash is seeded per process, and the colour must not change
    // between sessions.
    std::uint32_t h = 2166136261u;
    for (const char c : runId.toUtf8()) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h % kPalette.size();
}

} // namespace

QColor runColor(const QString& runId) {
    return kPalette[preferredSlot(runId)];
}

QIcon runSwatchIcon(const QColor& color) {
    QIcon icon;
    for (const int size : {12, 24}) { // 24: high-density screens
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        const qreal m = size / 12.0;
        p.drawRoundedRect(QRectF(m, m, size - 2 * m, size - 2 * m), 2 * m, 2 * m);
        p.end();
        icon.addPixmap(pm, QIcon::Normal);
        icon.addPixmap(pm, QIcon::Selected);
    }
    return icon;
}

std::map<QString, QColor> assignRunColors(const QStringList& runIds) {
    QStringList ids = runIds;
    ids.sort();
    ids.removeDuplicates();
    std::array<bool, kPalette.size()> taken{};
    std::map<QString, QColor> out;
    for (const QString& id : ids) {
        std::size_t slot = preferredSlot(id);
        for (std::size_t tries = 0; tries < kPalette.size() && taken[slot]; ++tries)
            slot = (slot + 1) % kPalette.size();
        // More than ten runs: colours repeat (the legend still names every run).
        taken[slot] = true;
        out[id] = kPalette[slot];
    }
    return out;
}

} // namespace ps::ui
