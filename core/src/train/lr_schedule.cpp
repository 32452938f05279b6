#include "train/lr_schedule.h"

#include "ps/error.h"

#include <algorithm>
#include <cmath>

namespace ps::train {
namespace {

constexpr double kPi = 3.14159265358979323846; // math.pi

} // namespace

ScheduleKind parseScheduleKind(const std::string& name) {
    if (name == "constant")
        return ScheduleKind::Constant;
    if (name == "constant_with_warmup")
        return ScheduleKind::ConstantWithWarmup;
    if (name == "linear")
        return ScheduleKind::Linear;
    if (name == "cosine")
        return ScheduleKind::Cosine;
    throw Error("lr_scheduler_type must be one of constant, constant_with_warmup, linear, cosine, got '" + name + "'");
}

const char* scheduleKindName(ScheduleKind kind) {
    switch (kind) {
    case ScheduleKind::Constant:
        return "constant";
    case ScheduleKind::ConstantWithWarmup:
        return "constant_with_warmup";
    case ScheduleKind::Linear:
        return "linear";
    case ScheduleKind::Cosine:
        return "cosine";
    }
    return "constant";
}

std::int64_t warmupStepsFor(std::int64_t totalSteps, std::int64_t warmupSteps, double warmupRatio) {
    if (warmupSteps > 0)
        return warmupSteps;
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(totalSteps) * warmupRatio));
}

LrSchedule::LrSchedule(ScheduleKind kind, double baseLr, std::int64_t warmupSteps, std::int64_t totalSteps,
                       double numCycles)
    : kind_(kind), baseLr_(baseLr), warmupSteps_(std::max<std::int64_t>(0, warmupSteps)),
      totalSteps_(std::max<std::int64_t>(0, totalSteps)), numCycles_(numCycles) {}

double LrSchedule::factor(std::int64_t step) const {
    const double s = static_cast<double>(step);
    const double w = static_cast<double>(warmupSteps_);
    const double t = static_cast<double>(totalSteps_);
    if (kind_ == ScheduleKind::Constant)
        return 1.0;
    if (step < warmupSteps_)
        return s / std::max(1.0, w);
    switch (kind_) {
    case ScheduleKind::ConstantWithWarmup:
        return 1.0;
    case ScheduleKind::Linear:
        return std::max(0.0, (t - s) / std::max(1.0, t - w));
    case ScheduleKind::Cosine: {
        const double progress = (s - w) / std::max(1.0, t - w);
        return std::max(0.0, 0.5 * (1.0 + std::cos(kPi * numCycles_ * 2.0 * progress)));
    }
    case ScheduleKind::Constant:
        break;
    }
    return 1.0;
}

} // namespace ps::train
