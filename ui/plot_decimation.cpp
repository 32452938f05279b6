#include "plot_decimation.h"

#include <algorithm>
#include <cmath>

namespace ps::ui {

PlotPoints decimateMinMax(const std::vector<double>& x, const std::vector<double>& y, int buckets) {
    PlotPoints out;
    const std::size_t n = std::min(x.size(), y.size());
    const std::size_t bucketCount = static_cast<std::size_t>(std::max(1, buckets));
    auto push = [&out, &x, &y](std::size_t i) {
        out.x.push_back(x[i]);
        out.y.push_back(y[i]);
    };
    if (n <= 2 * bucketCount) {
        out.x.reserve(n);
        out.y.reserve(n);
        for (std::size_t i = 0; i < n; ++i)
            if (std::isfinite(y[i]))
                push(i);
        return out;
    }

    const double x0 = x.front();
    const double span = x[n - 1] - x0;
    out.x.reserve(2 * bucketCount + 2);
    out.y.reserve(2 * bucketCount + 2);
    std::size_t first = 0;
    while (first < n && !std::isfinite(y[first]))
        ++first;
    std::size_t last = n;
    while (last > first && !std::isfinite(y[last - 1]))
        --last;
    if (first >= last)
        return out;
    push(first);

    // One pass: points fall into buckets by x; each bucket emits its min and max (by index
    // order, so the curve goes through them in time order).
    auto bucketOf = [&](std::size_t i) -> std::size_t {
        if (!(span > 0))
            return 0;
        const double t = (x[i] - x0) / span * static_cast<double>(bucketCount);
        return std::min(bucketCount - 1, static_cast<std::size_t>(std::max(0.0, t)));
    };
    std::size_t i = first + 1;
    while (i + 1 < last) {
        const std::size_t bucket = bucketOf(i);
        std::size_t lo = 0;
        std::size_t hi = 0;
        bool any = false;
        for (; i + 1 < last && bucketOf(i) == bucket; ++i) {
            if (!std::isfinite(y[i]))
                continue;
            if (!any) {
                lo = hi = i;
                any = true;
            } else if (y[i] < y[lo]) {
                lo = i;
            } else if (y[i] > y[hi]) {
                hi = i;
            }
        }
        if (!any)
            continue;
        push(std::min(lo, hi));
        if (lo != hi)
            push(std::max(lo, hi));
    }
    if (last - 1 > first)
        push(last - 1);
    return out;
}

} // namespace ps::ui
