#include "metrics_history.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ps::ui {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double valueOr(const std::optional<double>& v) {
    return v ? *v : std::numeric_limits<double>::quiet_NaN();
}

template <typename T> void truncate(std::vector<T>& v, std::size_t n) {
    if (v.size() > n)
        v.resize(n);
}

} // namespace

double EmaSmoother::add(double value) {
    if (std::isfinite(value)) {
        sum_ = weight_ * sum_ + (1.0 - weight_) * value;
        correction_ *= weight_;
    }
    if (correction_ >= 1.0)
        return std::numeric_limits<double>::quiet_NaN();
    return sum_ / (1.0 - correction_);
}

void EmaSmoother::reset() {
    sum_ = 0.0;
    correction_ = 1.0;
}

void MetricsHistory::append(const MetricSample& sample) {
    const bool eval = sample.kind == MetricSample::Kind::Eval;
    const std::vector<double>& steps = eval ? evalStep : trainStep;
    if (!steps.empty() && static_cast<double>(sample.step) <= steps.back())
        dropFromStep(sample.step, eval);

    samples_.push_back(sample);
    totalSteps_ = std::max(totalSteps_, sample.totalSteps);
    if (sample.cudaReservedBytes > 0 || sample.cudaAllocatedBytes > 0)
        memoryKind_ = MemoryKind::Cuda;
    const auto x = static_cast<double>(sample.step);
    if (eval) {
        evalStep.push_back(x);
        evalLoss.push_back(valueOr(sample.evalLoss));
        return;
    }
    trainStep.push_back(x);
    loss.push_back(valueOr(sample.loss));
    lossSmoothed.push_back(smoother_.add(loss.back()));
    learningRate.push_back(valueOr(sample.learningRate));
    tokensPerSec.push_back(sample.tokensPerSec);
    const bool cuda = sample.cudaReservedBytes > 0 || sample.cudaAllocatedBytes > 0;
    memoryMiB.push_back(static_cast<double>(cuda ? sample.cudaAllocatedBytes : sample.rssBytes) / kMiB);
    reservedMemoryMiB.push_back(static_cast<double>(sample.cudaReservedBytes) / kMiB);
}

void MetricsHistory::dropFromStep(std::int64_t step, bool eval) {
    const auto x = static_cast<double>(step);
    if (eval) {
        const auto keep =
            static_cast<std::size_t>(std::lower_bound(evalStep.begin(), evalStep.end(), x) - evalStep.begin());
        truncate(evalStep, keep);
        truncate(evalLoss, keep);
    } else {
        const auto keep =
            static_cast<std::size_t>(std::lower_bound(trainStep.begin(), trainStep.end(), x) - trainStep.begin());
        for (auto* column :
             {&trainStep, &loss, &lossSmoothed, &learningRate, &tokensPerSec, &memoryMiB, &reservedMemoryMiB})
            truncate(*column, keep);
        rebuildSmoothing();
    }
    const MetricSample::Kind kind = eval ? MetricSample::Kind::Eval : MetricSample::Kind::Train;
    samples_.erase(std::remove_if(samples_.begin(), samples_.end(),
                                  [&](const MetricSample& s) { return s.kind == kind && s.step >= step; }),
                   samples_.end());
}

void MetricsHistory::rebuildSmoothing() {
    smoother_.reset();
    lossSmoothed.clear();
    for (const double v : loss)
        lossSmoothed.push_back(smoother_.add(v));
}

void MetricsHistory::clear() {
    *this = MetricsHistory();
}

std::int64_t MetricsHistory::lastStep() const {
    double last = 0;
    if (!trainStep.empty())
        last = trainStep.back();
    if (!evalStep.empty())
        last = std::max(last, evalStep.back());
    return static_cast<std::int64_t>(last);
}

} // namespace ps::ui
