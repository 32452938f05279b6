#include "ps/human_format.h"

#include <cmath>
#include <cstdio>

namespace ps {
namespace {

// One decimal below 10 ("1.5"), whole numbers above ("135"); a trailing ".0" is dropped so
// that 7.0e9 reads "7B" like a model card.
std::string scaled(double value) {
    char buf[32];
    if (value < 9.95) {
        std::snprintf(buf, sizeof buf, "%.1f", value);
        std::string s = buf;
        if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0)
            s.resize(s.size() - 2);
        return s;
    }
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
}

// Picks the largest unit that keeps the printed value below 1000 after rounding.
std::string withUnits(double value, const char* const* units, int unitCount, const char* separator) {
    int unit = 0;
    while (unit + 1 < unitCount && std::round(value) >= 1000.0) {
        value /= 1000.0;
        ++unit;
    }
    if (unit == 0)
        return std::to_string(static_cast<long long>(std::llround(value))) + separator + units[0];
    return scaled(value) + separator + units[unit];
}

} // namespace

std::string formatParameterCount(std::int64_t count) {
    static const char* const units[] = {"", "K", "M", "B", "T"};
    if (count < 0)
        return "-" + formatParameterCount(-count);
    return withUnits(static_cast<double>(count), units, 5, "");
}

std::string formatByteSize(std::uint64_t bytes) {
    static const char* const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    return withUnits(static_cast<double>(bytes), units, 6, " ");
}

} // namespace ps
