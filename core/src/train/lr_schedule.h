#pragma once
// Learning-rate schedules with transformers' formulas (torch-free).
//
// factor(step) is the LambdaLR multiplier transformers uses: the optimizer update number `step`
// (0-based: the first update uses factor(0)) runs with lr = base_lr * factor(step). transformers
// logs scheduler.get_last_lr() after the update, i.e. factor(step + 1) for update `step`.
//   constant             1                                   (no warm-up, as get_constant_schedule)
//   constant_with_warmup s < w ? s / max(1, w) : 1
//   linear               s < w ? s / max(1, w) : max(0, (T - s) / max(1, T - w))
//   cosine               s < w ? s / max(1, w) :
//                        max(0, 0.5 * (1 + cos(pi * cycles * 2 * (s - w) / max(1, T - w))))  cycles = 0.5
// with w the warm-up steps and T the total optimizer steps.
#include <cstdint>
#include <string>

namespace ps::train {

enum class ScheduleKind { Constant, ConstantWithWarmup, Linear, Cosine };

// "constant", "constant_with_warmup", "linear", "cosine"; throws ps::Error for anything else.
ScheduleKind parseScheduleKind(const std::string& name);
const char* scheduleKindName(ScheduleKind kind);

// transformers' TrainingArguments.get_warmup_steps: warmupSteps if > 0, else ceil(total * ratio).
std::int64_t warmupStepsFor(std::int64_t totalSteps, std::int64_t warmupSteps, double warmupRatio);

class LrSchedule final {
public:
    LrSchedule(ScheduleKind kind, double baseLr, std::int64_t warmupSteps, std::int64_t totalSteps,
               double numCycles = 0.5);

    double factor(std::int64_t step) const;
    double lr(std::int64_t step) const { return baseLr_ * factor(step); }

    ScheduleKind kind() const { return kind_; }
    double baseLr() const { return baseLr_; }
    std::int64_t warmupSteps() const { return warmupSteps_; }
    std::int64_t totalSteps() const { return totalSteps_; }

private:
    ScheduleKind kind_;
    double baseLr_;
    std::int64_t warmupSteps_;
    std::int64_t totalSteps_;
    double numCycles_;
};

} // namespace ps::train
