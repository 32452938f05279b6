#pragma once
// Display decimation for long metric histories (pure, Qt-free): a plot is only so many pixels
// wide, so a 100k-point loss curve is drawn from the min and max of each pixel-wide bucket of x.
// Spikes survive (every bucket keeps its extremes, in the order they occurred) and the stored
// history is never touched: decimation makes a new, bounded copy for drawing.
#include <cstddef>
#include <vector>

namespace ps::ui {

struct PlotPoints {
    std::vector<double> x;
    std::vector<double> y;
};

// Points of (x, y) with x ascending, reduced to at most 2 * buckets + 2 points: per bucket of
// equal x width between the first and last x, the minimum and maximum y in occurrence order;
// the first and last points are always kept. Inputs with no more than 2 * buckets points come
// back unchanged. Non-finite y values are skipped (they cannot be drawn, least of all on a log
// axis). `buckets` < 1 counts as 1. x and y must have the same length.
PlotPoints decimateMinMax(const std::vector<double>& x, const std::vector<double>& y, int buckets);

} // namespace ps::ui
