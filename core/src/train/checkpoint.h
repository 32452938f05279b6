#pragma once
// Training checkpoints (internal: torch). One checkpoint is one folder:
//
//   checkpoints/step-<N>/
//     trainable.safetensors   the trainable tensors by parameter name (adapter weights, ...)
//     optimizer.safetensors   optimizer state (metadata: optimizer kind, hyper-parameters)
//     rng.safetensors         torch generator states ("torch_cpu", "torch_cuda_<i>"), uint8
//     trainer_state.json      step, scheduler step, epoch, data position, tokens, time, best
//                             eval loss, early-stopping counter, the data-order mt19937_64 state,
//                             and the size of every file above (written last)
//     ... plus whatever the caller's extraFiles hook writes (e.g. adapter/ in PEFT format)
//
// Writing is atomic: everything goes into checkpoints/step-<N>.tmp-<random>, each file fsync'd,
// then the folder is renamed to step-<N>. A failure (full disk, crash) leaves at most a .tmp-
// folder, which readers ignore and the next write removes; earlier checkpoints are untouched.
#include "io/torch_tensors.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ps::train {

struct DataPosition {
    std::int64_t epoch = 0; // epoch in progress (0-based)
    std::int64_t index = 0; // next position in that epoch's shuffled order
};

struct TrainerState {
    std::int64_t globalStep = 0;    // optimizer steps done
    std::int64_t schedulerStep = 0; // LrSchedule position
    std::int64_t totalSteps = 0;    // planned optimizer steps
    double epoch = 0.0;             // fractional epochs done
    DataPosition data;
    std::uint64_t tokensSeen = 0;
    double elapsedSec = 0.0;
    std::optional<double> bestEvalLoss;
    std::int64_t bestStep = -1;
    std::int64_t evalsWithoutImprovement = 0; // early stopping
    std::string dataRngState;                 // std::mt19937_64, text form (rng_state.h); may be empty
};

bool operator==(const TrainerState& a, const TrainerState& b);

struct Checkpoint {
    NamedTensors trainable;
    NamedTensors optimizerState;
    std::map<std::string, std::string> optimizerMetadata; // Optimizer::stateMetadata()
    NamedTensors rngState;                                // captureTorchRngState()
    TrainerState state;
};

// Writes <checkpointsDir>/step-<state.globalStep> atomically (replacing an existing folder of
// that step) and returns its path. `extraFiles(tempDir)` may add files inside the folder before
// it is renamed into place.
std::string writeCheckpoint(const std::string& checkpointsDir, const Checkpoint& checkpoint,
                            const std::function<void(const std::string& dir)>& extraFiles = {});

// Reads and validates a checkpoint folder: trainer_state.json complete and well-typed, every file
// present with the recorded size, tensors readable, RNG states uint8. Errors name the file.
Checkpoint readCheckpoint(const std::string& dir);

// Complete checkpoints (step-<N> folders with a trainer_state.json), ascending by step.
std::vector<std::pair<std::int64_t, std::string>> listCheckpoints(const std::string& checkpointsDir);
std::optional<std::string> latestCheckpoint(const std::string& checkpointsDir);

// Keeps the newest `keepLast` checkpoints (all when <= 0) and the one of `keepStep` (the best;
// -1 = none); removes the others and stale .tmp- folders.
void pruneCheckpoints(const std::string& checkpointsDir, int keepLast, std::int64_t keepStep = -1);

} // namespace ps::train
