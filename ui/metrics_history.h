#pragma once
// MetricsHistory — every metric sample of the run on screen, kept in full (the plots decimate a
// copy for display; nothing here is ever dropped for being old), as per-series columns that the
// charts read without conversion. Appending is O(1); the smoothed loss is updated incrementally.
#include "ps/metrics.h"

#include <cstdint>
#include <vector>

namespace ps::ui {

// Exponential moving average with TensorBoard's debiasing (the first values are not dragged
// towards 0): s_n = w * s_(n-1) + (1 - w) * v_n, shown as s_n / (1 - w^n). Non-finite values
// are skipped (the average stays where it was). Pure, so that it can be tested alone.
class EmaSmoother final {
public:
    explicit EmaSmoother(double weight = 0.9) : weight_(weight) {}
    // Adds `value` and returns the smoothed value so far (NaN before any finite value).
    double add(double value);
    void reset();

private:
    double weight_;
    double sum_ = 0.0;
    double correction_ = 1.0; // w^n
};

class MetricsHistory final {
public:
    enum class MemoryKind { Rss, Cuda };

    // Adds one sample. A sample whose step is not after the last stored sample of its kind means
    // the run was resumed from an earlier checkpoint: the stored samples from that step on are
    // replaced, as the trainer does with metrics.jsonl.
    void append(const MetricSample& sample);
    void clear();

    std::size_t sampleCount() const { return trainStep.size() + evalStep.size(); }
    const std::vector<MetricSample>& samples() const { return samples_; }
    // GPU memory as soon as any sample reports CUDA figures, else the process RSS.
    MemoryKind memoryKind() const { return memoryKind_; }
    std::int64_t lastStep() const;
    std::int64_t totalSteps() const { return totalSteps_; }

    // Columns (x = optimizer step). Train series share trainStep; eval series share evalStep.
    std::vector<double> trainStep;
    std::vector<double> loss;         // raw training loss (may hold NaN / inf)
    std::vector<double> lossSmoothed; // EmaSmoother over `loss`
    std::vector<double> learningRate;
    std::vector<double> tokensPerSec;
    std::vector<double> memoryMiB;         // RSS, or CUDA allocated
    std::vector<double> reservedMemoryMiB; // CUDA reserved (0 on CPU)
    std::vector<double> evalStep;
    std::vector<double> evalLoss;

private:
    void dropFromStep(std::int64_t step, bool eval);
    void rebuildSmoothing();

    std::vector<MetricSample> samples_;
    EmaSmoother smoother_;
    MemoryKind memoryKind_ = MemoryKind::Rss;
    std::int64_t totalSteps_ = 0;
};

} // namespace ps::ui
