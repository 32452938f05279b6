#include "run_colors.h"

#include <QByteArray>

#include <cstdint>

namespace ps::ui {

QColor runColor(const QString& runId) {
    // FNV-1a rather than qHash: qHash is seeded per process, and the colour must not change
    // between sessions.
    std::uint32_t h = 2166136261u;
    for (const char c : runId.toUtf8()) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    // Hue from the hash; two lightness steps double the distinct colours. Mid saturation and
    // lightness read on light and dark chart backgrounds alike.
    const int hue = static_cast<int>(h % 360u);
    const int lightness = (h >> 16) % 2 == 0 ? 120 : 145;
    return QColor::fromHsl(hue, 170, lightness);
}

} // namespace ps::ui
