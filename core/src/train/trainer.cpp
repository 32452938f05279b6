// Trainer::run / resume — the training loop. See ps/trainer.h for the contract (threads,
// stop / pause, failures, determinism) and docs/TRAINING.md for the maths of each step.
#include "ps/trainer.h"

#include "adapters/peft_model.h"
#include "model/causal_lm.h"
#include "model/compute_options.h"
#include "ps/dataset.h"
#include "ps/error.h"
#include "ps/hub.h"
#include "ps/run_catalog.h"
#include "ps/system_info.h"
#include "ps/tokenizer.h"
#include "runs/append_only_file.h"
#include "runs/run_lock.h"
#include "ps/run_method.h"
#include "system/blas_threads.h"
#include "system/caching_cpu_allocator.h"
#include "train/batch_plan.h"
#include "train/checkpoint.h"
#include "train/grad_clip.h"
#include "train/loss_scaler.h"
#include "train/lr_schedule.h"
#include "train/memory_check.h"
#include "train/optimizer.h"
#include "train/param_groups.h"
#include "train/rng_state.h"
#include "train/run_data.h"
#include "train/step_loss.h"
#include "util/file_util.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace ps {

struct Trainer::Impl {};

Trainer::Trainer() : impl_(std::make_unique<Impl>()) {}
Trainer::~Trainer() = default;

namespace {

using Clock = std::chrono::steady_clock;

std::string resolveModelDir(const std::string& nameOrPath) {
    if (isDirectory(nameOrPath))
        return nameOrPath;
    HubScanOptions scan;
    for (const auto& m : discoverModels(scan))
        if (m.id == nameOrPath && !m.broken)
            return m.path;
    throw Error("model_name_or_path '" + nameOrPath +
                "': no such folder, and no model with that id in the Hugging Face cache (see `peft-studio-cli models`)");
}

class RunSession final {
public:
    RunSession(const RunConfig& config, std::string resumeDir, TrainerObserver& observer, StopToken& stop)
        : config_(config), resumeDir_(std::move(resumeDir)), observer_(observer), stop_(stop) {}

    RunSummary execute();

private:
    void prepare();
    void log(LogLevel level, const std::string& text);
    void setState(TrainerState state) { observer_.onStateChanged(state); }
    torch::Tensor lossSum(const train::MicroBatch& mb, train::SharedPrefix* shared = nullptr);
    double evaluate();
    void writeCheckpointNow();
    void emit(MetricSample sample);
    MetricSample baseSample() const;
    void finish(RunStatus status, const std::string& error = "");
    double elapsed() const {
        return state_.elapsedSec + std::chrono::duration<double>(Clock::now() - segmentStart_).count();
    }

    RunConfig config_;
    std::string resumeDir_;
    TrainerObserver& observer_;
    StopToken& stop_;

    std::string modelDir_;
    std::string runDir_;
    torch::Device device_ = torch::kCPU;
    std::shared_ptr<Tokenizer> tokenizer_;
    TokenizedDataset data_;
    DataSplit split_;
    std::unique_ptr<adapters::PeftModel> peft_;
    std::vector<torch::Tensor> params_;
    std::unique_ptr<train::Optimizer> optimizer_;
    std::unique_ptr<train::LrSchedule> schedule_;
    std::unique_ptr<train::BatchPlanner> planner_;
    train::TrainerState state_;
    RunSummary summary_;
    std::unique_ptr<runs::RunLock> lock_; // held from the folder's creation (or resume) to the end
    std::unique_ptr<runs::AppendOnlyFile> metricsFile_;
    std::unique_ptr<runs::AppendOnlyFile> logFile_;
    Clock::time_point segmentStart_ = Clock::now();
    std::unique_ptr<train::LossScaler> scaler_;
    // OpenBLAS's pool, sized by measurement while training on the CPU (system/blas_threads.h);
    // the size it had is restored when the session ends (the studio runs other work after it).
    // The tuner picks one of these per measurement round (its candidates are their indices).
    std::vector<system::BlasConfiguration> blasConfigs_;
    std::unique_ptr<system::BlasThreadTuner> blasTuner_;
    std::unique_ptr<system::BlasStateRestore> blasRestore_; // the pool as it was, at the end
    int blasConfigChosen_ = -1;
    void applyBlasConfig();
    void startBlasTuning();
    void recordBlasStep(double seconds, std::int64_t tokens);
    std::int64_t gradAccum_ = 1;
    double lastLr_ = 0, lastGradNorm_ = 0;
};

void RunSession::log(LogLevel level, const std::string& text) {
    static const char* names[] = {"debug", "info", "warning", "error"};
    if (logFile_) {
        try {
            logFile_->appendLine(isoTimestampUtc(std::chrono::system_clock::now()) + " " +
                                 names[static_cast<int>(level)] + ": " + text);
        } catch (const std::exception&) {
            // The log is best effort; the observer still gets the line.
        }
    }
    observer_.onLog(level, text);
}

void RunSession::startBlasTuning() {
    // Only where the products run in OpenBLAS's pool: float32 with one LibTorch thread
    // (configureThreads). PS_BLAS_TUNING=0 keeps the pool as it is, and so does full_determinism:
    // OpenBLAS's pool and one thread cut some sums into other blocks (a product with 344 terms
    // per element differs in the last bits between 1 and 2 threads), so a run that tunes by
    // timing is reproducible only to rounding.
    if (config_.full_determinism)
        return; // said in the run's log (execute)
    blasConfigs_ = system::blasConfigurations();
    if (blasConfigs_.empty())
        return;
    blasRestore_ = std::make_unique<system::BlasStateRestore>();
    blasTuner_ = std::make_unique<system::BlasThreadTuner>(system::tunerOver(blasConfigs_, 2, 64, 1.35));
}

void RunSession::applyBlasConfig() {
    system::applyBlasConfiguration(blasConfigs_[static_cast<std::size_t>(blasTuner_->threadsForNextStep())]);
}

void RunSession::recordBlasStep(double seconds, std::int64_t tokens) {
    if (!blasTuner_->recordStep(seconds, static_cast<double>(tokens)))
        return;
    const int chosen = blasTuner_->threadsForNextStep();
    const auto& c = blasConfigs_[static_cast<std::size_t>(chosen)];
    if (chosen != blasConfigChosen_)
        log(LogLevel::Info, "BLAS threads: " + c.label + " (measured " + blasTuner_->lastChoice() +
                                (c.pool == 1 ? "; another program is using the CPU" : "") + ")");
    blasConfigChosen_ = chosen;
}

void RunSession::prepare() {
    validateRunConfig(config_);
    device_ = model::parseComputeDevice("auto");
    if (device_.is_cuda()) {
        resetCudaPeakMemory(device_.index());
    } else {
        if (config_.fp16)
            throw Error("fp16 needs a CUDA GPU (float16 matrix products on the CPU are slow and lose precision): "
                        "use bf16: true on the CPU, or neither");
        configureThreads(0, config_.bf16);
        startBlasTuning();
    }
    scaler_ = std::make_unique<train::LossScaler>(config_.fp16 && device_.is_cuda());
    setState(TrainerState::Preparing);
    modelDir_ = resolveModelDir(config_.model_name_or_path);
    observer_.onLog(LogLevel::Info, "Loading tokenizer from " + modelDir_);
    tokenizer_ = Tokenizer::load(modelDir_);

    observer_.onLog(LogLevel::Info, "Reading and tokenizing " + config_.dataset);
    data_ = train::tokenizeRunData(config_, *tokenizer_, joinPath(runsRootFor(config_), ".cache"));
    if (data_.size() == 0)
        throw Error(config_.dataset + ": no training examples after tokenization");
    split_ = splitTrainValidation(data_.size(), config_.val_size, static_cast<std::uint64_t>(config_.seed));

    if (!device_.is_cuda())
        train::checkMemoryBeforeLoading(modelDir_, config_);
    observer_.onLog(LogLevel::Info, "Loading model " + modelDir_);
    model::LoadOptions load;
    load.dtype = config_.bf16 ? torch::kBFloat16 : config_.fp16 ? torch::kFloat16 : torch::kFloat32;
    load.device = device_;
    auto model = model::loadCausalLM(modelDir_, load);
    model->setGradientCheckpointing(config_.gradient_checkpointing);
    torch::manual_seed(static_cast<std::uint64_t>(config_.seed));
    peft_ = std::make_unique<adapters::PeftModel>(model, adapterSpecForRun(config_),
                                                  static_cast<std::uint64_t>(config_.seed));
    peft_->train(true);

    train::NamedParams trainable;
    std::set<std::string> decay;
    for (const auto& [name, t] : peft_->tensors()) {
        if (!t.requires_grad())
            continue;
        trainable.emplace_back(name, t);
        params_.push_back(t);
        if (!train::isNoDecayName(name))
            decay.insert(name);
    }
    if (trainable.empty())
        throw Error("finetuning_type '" + config_.finetuning_type + "' left no trainable parameter");
    optimizer_ = train::makeOptimizer(config_, train::makeParamGroups(trainable, decay, config_.weight_decay));

    const auto method = peft_->spec().method;
    const bool allowPacking = train::methodAllowsPacking(method);
    if (config_.packing && !allowPacking)
        observer_.onLog(LogLevel::Warning, "packing is off for prompt / prefix tuning (virtual tokens are per sequence)");
    planner_ = std::make_unique<train::BatchPlanner>(data_, split_.train, config_, allowPacking);
    gradAccum_ = std::max<std::int64_t>(1, config_.gradient_accumulation_steps);
    const std::int64_t perEpoch = (planner_->microBatchesPerEpoch() + gradAccum_ - 1) / gradAccum_;
    const std::int64_t total = config_.max_steps > 0
                                   ? config_.max_steps
                                   : std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(config_.num_train_epochs * perEpoch)));
    schedule_ = std::make_unique<train::LrSchedule>(
        train::parseScheduleKind(config_.lr_scheduler_type), config_.learning_rate,
        train::warmupStepsFor(total, config_.warmup_steps, config_.warmup_ratio), total);
    state_.totalSteps = total;
}

torch::Tensor RunSession::lossSum(const train::MicroBatch& mb, train::SharedPrefix* shared) {
    return train::microBatchLossSum(*peft_, mb, shared);
}

double RunSession::evaluate() {
    if (split_.validation.empty())
        return NAN;
    setState(TrainerState::Evaluating);
    peft_->train(false);
    torch::NoGradGuard noGrad;
    double sum = 0;
    std::int64_t tokens = 0;
    std::unique_ptr<train::SharedPrefix> shared; // the opening the validation examples share, if any
    for (const auto& plan : planner_->sequential(split_.validation)) {
        auto mb = planner_->materialise(plan, device_);
        if (mb.prefixIds.defined() && (!shared || !shared->serves(mb.prefixIds)))
            shared = std::make_unique<train::SharedPrefix>(*peft_, mb.prefixIds);
        sum += lossSum(mb, shared.get()).item<double>();
        tokens += mb.trainedTokens;
    }
    peft_->train(true);
    setState(TrainerState::Running);
    return tokens > 0 ? sum / static_cast<double>(tokens) : NAN;
}

MetricSample RunSession::baseSample() const {
    MetricSample s;
    s.step = state_.globalStep;
    s.totalSteps = state_.totalSteps;
    s.epoch = state_.epoch;
    s.tokensSeen = state_.tokensSeen;
    s.elapsedSec = elapsed();
    s.rssBytes = currentRssBytes();
    s.peakRssBytes = peakRssBytes();
    if (device_.is_cuda()) {
        const auto cuda = cudaMemoryStats(device_.index());
        s.cudaAllocatedBytes = cuda.allocatedBytes;
        s.cudaReservedBytes = cuda.reservedBytes;
        s.cudaPeakBytes = cuda.peakAllocatedBytes;
    }
    s.timestampMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return s;
}

void RunSession::emit(MetricSample sample) {
    metricsFile_->appendLine(metricSampleToJson(sample));
    observer_.onMetrics(sample);
}

void RunSession::writeCheckpointNow() {
    setState(TrainerState::Saving);
    train::Checkpoint ckpt;
    for (const auto& [name, t] : peft_->tensors())
        if (t.requires_grad())
            ckpt.trainable.emplace_back(name, t);
    ckpt.optimizerState = optimizer_->stateTensors();
    ckpt.optimizerMetadata = optimizer_->stateMetadata();
    ckpt.rngState = train::captureTorchRngState(device_.is_cuda());
    state_.elapsedSec = elapsed();
    segmentStart_ = Clock::now();
    ckpt.state = state_;
    const auto dir = runCheckpointsDir(runDir_);
    train::writeCheckpoint(dir, ckpt, [this](const std::string& tmp) { peft_->save(joinPath(tmp, "adapter"), modelDir_); });
    train::pruneCheckpoints(dir, 2, state_.bestStep);
    metricsFile_->sync();
    setState(TrainerState::Running);
}

void RunSession::finish(RunStatus status, const std::string& error) {
    summary_.status = status;
    summary_.error = error;
    summary_.steps = state_.globalStep;
    summary_.totalSteps = state_.totalSteps;
    summary_.epochs = state_.epoch;
    summary_.tokens = state_.tokensSeen;
    summary_.durationSec = elapsed();
    summary_.tokensPerSec = summary_.durationSec > 0 ? static_cast<double>(state_.tokensSeen) / summary_.durationSec : 0;
    if (device_.is_cuda()) {
        summary_.peakMemoryBytes = cudaMemoryStats(device_.index()).peakAllocatedBytes;
        summary_.memoryKind = "cuda";
    } else {
        summary_.peakMemoryBytes = peakRssBytes();
        summary_.memoryKind = "rss";
    }
    summary_.bestEvalLoss = state_.bestEvalLoss;
    summary_.bestStep = state_.bestStep;
    summary_.updatedAt = isoTimestampUtc(std::chrono::system_clock::now());
    if (status != RunStatus::Running && status != RunStatus::Paused)
        summary_.finishedAt = summary_.updatedAt;
    writeRunSummary(runDir_, summary_);
    summary_.runDir = runDir_;
    try {
        RunCatalog(std::filesystem::path(runDir_).parent_path().string()).refresh(runDir_);
    } catch (const std::exception& e) {
        log(LogLevel::Warning, std::string("run catalog not updated: ") + e.what());
    }
}

RunSummary RunSession::execute() {
    if (!resumeDir_.empty()) {
        lock_ = std::make_unique<runs::RunLock>(resumeDir_); // before anything is read or loaded
        config_ = loadRunConfig(runConfigPath(resumeDir_));
    }
    prepare();
    if (resumeDir_.empty()) {
        RunConfig resolved;
        runDir_ = createRunFolder(config_, &resolved);
        lock_ = std::make_unique<runs::RunLock>(runDir_);
        summary_.startedAt = isoTimestampUtc(std::chrono::system_clock::now());
    } else {
        runDir_ = resumeDir_;
        // Run folders get summary.json before config.yaml; one made by an older version may lack it.
        if (isRegularFile(runSummaryPath(runDir_)))
            summary_ = readRunSummary(runDir_);
        summary_.finishedAt.clear();
        summary_.error.clear();
        // A run killed before its first checkpoint starts again from step 0 in the same folder
        // (the model and adapter are initialised from the same seed as the first time).
        if (auto latest = train::latestCheckpoint(runCheckpointsDir(runDir_))) {
            auto ckpt = train::readCheckpoint(*latest);
            peft_->loadTensors(ckpt.trainable, *latest);
            optimizer_->loadStateTensors(ckpt.optimizerState, ckpt.optimizerMetadata, *latest);
            train::restoreTorchRngState(ckpt.rngState, *latest);
            const auto total = state_.totalSteps;
            state_ = ckpt.state;
            state_.totalSteps = total;
        }
        truncateMetricsAfterStep(runMetricsPath(runDir_), state_.globalStep);
    }
    metricsFile_ = std::make_unique<runs::AppendOnlyFile>(runMetricsPath(runDir_));
    logFile_ = std::make_unique<runs::AppendOnlyFile>(runLogPath(runDir_));
    summary_.status = RunStatus::Running;
    writeRunSummary(runDir_, summary_);
    log(LogLevel::Info, (resumeDir_.empty() ? "Run folder " : "Resuming ") + runDir_ + " at step " +
                            std::to_string(state_.globalStep) + " of " + std::to_string(state_.totalSteps));
    const auto& ds = data_.stats();
    log(LogLevel::Info, std::to_string(ds.numExamples) + " examples (" + std::to_string(split_.train.size()) +
                            " train, " + std::to_string(split_.validation.size()) + " validation), " +
                            std::to_string(peft_->numTrainable()) + " trainable parameters of " +
                            std::to_string(peft_->numTotal()));
    if (!planner_->packingSummary().empty())
        log(LogLevel::Info, planner_->packingSummary());
    if (config_.full_determinism && device_.is_cpu())
        log(LogLevel::Info, "full_determinism: one BLAS configuration for the whole run (no tuning by speed)");
    setState(TrainerState::Running);
    segmentStart_ = Clock::now();

    auto plans = planner_->epoch(state_.data.epoch);
    double windowLoss = 0;
    std::int64_t windowTokens = 0;
    auto windowStart = Clock::now();
    const std::int64_t evalEvery = config_.effectiveEvalSteps();
    try {
        while (state_.globalStep < state_.totalSteps) {
            if (state_.data.index >= static_cast<std::int64_t>(plans.size())) {
                ++state_.data.epoch;
                state_.data.index = 0;
                plans = planner_->epoch(state_.data.epoch);
            }
            std::vector<train::MicroBatch> micro;
            std::int64_t stepTokens = 0;
            while (static_cast<std::int64_t>(micro.size()) < gradAccum_ &&
                   state_.data.index + static_cast<std::int64_t>(micro.size()) < static_cast<std::int64_t>(plans.size())) {
                micro.push_back(planner_->materialise(plans[static_cast<std::size_t>(state_.data.index) + micro.size()], device_));
                stepTokens += micro.back().trainedTokens;
            }
            optimizer_->zeroGrad();
            double stepLoss = 0;
            // The opening every micro-batch of the step begins with: computed once, its gradient
            // carried back once after the last micro-batch (train/step_loss.h).
            std::unique_ptr<train::SharedPrefix> shared;
            if (!micro.empty() && micro.front().prefixIds.defined() && stepTokens > 0)
                shared = std::make_unique<train::SharedPrefix>(*peft_, micro.front().prefixIds);
            for (const auto& mb : micro) {
                if (stop_.pauseRequested() && !stop_.stopRequested()) {
                    writeCheckpointNow();
                    finish(RunStatus::Paused);
                    setState(TrainerState::Paused);
                    log(LogLevel::Info, "Paused at step " + std::to_string(state_.globalStep));
                    if (stop_.waitWhilePaused()) {
                        finish(RunStatus::Paused);
                        return summary_;
                    }
                    segmentStart_ = Clock::now();
                    summary_.status = RunStatus::Running;
                    writeRunSummary(runDir_, summary_);
                    setState(TrainerState::Running);
                }
                if (stop_.stopRequested()) {
                    log(LogLevel::Info, "Stopped at step " + std::to_string(state_.globalStep) + "; checkpoint written");
                    writeCheckpointNow();
                    finish(RunStatus::Cancelled);
                    setState(TrainerState::Cancelled);
                    return summary_;
                }
                if (stepTokens == 0)
                    break;
                const auto microStart = Clock::now();
                if (blasTuner_)
                    applyBlasConfig();
                auto loss = lossSum(mb, shared.get());
                (loss * (scaler_->scale() / static_cast<double>(stepTokens))).backward();
                stepLoss += loss.item<double>();
                if (blasTuner_)
                    recordBlasStep(std::chrono::duration<double>(Clock::now() - microStart).count(),
                                   mb.inputIds.numel());
            }
            if (shared)
                shared->backward();
            stepLoss = stepTokens > 0 ? stepLoss / static_cast<double>(stepTokens) : 0.0;
            const bool gradsFinite = scaler_->unscale(params_);
            scaler_->update(gradsFinite);
            lastGradNorm_ = gradsFinite ? train::clipGradNorm(params_, config_.max_grad_norm) : NAN;
            lastLr_ = schedule_->lr(state_.schedulerStep);
            if (!std::isfinite(stepLoss)) {
                const std::string msg = "loss became " + std::string(std::isnan(stepLoss) ? "NaN" : "infinite") +
                                        " at step " + std::to_string(state_.globalStep + 1) +
                                        ": try a lower learning_rate, bf16 off, or check the data; the last good "
                                        "checkpoint is kept";
                log(LogLevel::Error, msg);
                finish(RunStatus::Failed, msg);
                setState(TrainerState::Failed);
                return summary_;
            }
            if (gradsFinite)
                optimizer_->step(lastLr_);
            else // float16 overflow: skip this update and retry at half the loss scale (as GradScaler)
                log(LogLevel::Debug, "float16 gradients overflowed at step " + std::to_string(state_.globalStep + 1) +
                                         "; update skipped, loss scale now " + std::to_string(scaler_->scale()));
            ++state_.globalStep;
            ++state_.schedulerStep;
            state_.data.index += static_cast<std::int64_t>(micro.size());
            state_.tokensSeen += static_cast<std::uint64_t>(stepTokens);
            state_.epoch = static_cast<double>(state_.data.epoch) +
                           static_cast<double>(state_.data.index) / static_cast<double>(std::max<std::size_t>(1, plans.size()));
            windowLoss += stepLoss * static_cast<double>(stepTokens);
            windowTokens += stepTokens;
            summary_.finalLoss = stepLoss;

            const bool last = state_.globalStep == state_.totalSteps;
            if (state_.globalStep % std::max<std::int64_t>(1, config_.logging_steps) == 0 || last) {
                MetricSample s = baseSample();
                s.loss = windowTokens > 0 ? windowLoss / static_cast<double>(windowTokens) : stepLoss;
                s.learningRate = lastLr_;
                s.gradNorm = lastGradNorm_;
                const double secs = std::chrono::duration<double>(Clock::now() - windowStart).count();
                s.tokensPerSec = secs > 0 ? static_cast<double>(windowTokens) / secs : 0;
                const double perStep = s.elapsedSec / std::max<std::int64_t>(1, state_.globalStep);
                s.etaSec = perStep * static_cast<double>(state_.totalSteps - state_.globalStep);
                emit(s);
                windowLoss = 0;
                windowTokens = 0;
                windowStart = Clock::now();
            }
            bool improved = false;
            bool stopEarly = false;
            if (!split_.validation.empty() && (state_.globalStep % evalEvery == 0 || last)) {
                const double evalLoss = evaluate();
                MetricSample s = baseSample();
                s.kind = MetricSample::Kind::Eval;
                s.evalLoss = evalLoss;
                emit(s);
                summary_.finalEvalLoss = evalLoss;
                if (!state_.bestEvalLoss || *state_.bestEvalLoss - evalLoss > config_.early_stopping_min_delta) {
                    state_.bestEvalLoss = evalLoss;
                    state_.bestStep = state_.globalStep;
                    state_.evalsWithoutImprovement = 0;
                    improved = true;
                } else if (config_.early_stopping_patience > 0 &&
                           ++state_.evalsWithoutImprovement >= config_.early_stopping_patience) {
                    stopEarly = true;
                }
            }
            if (last || improved || stopEarly || state_.globalStep % std::max<std::int64_t>(1, config_.save_steps) == 0)
                writeCheckpointNow();
            if (stopEarly) {
                log(LogLevel::Info, "Early stopping: eval loss did not improve for " +
                                        std::to_string(config_.early_stopping_patience) + " evaluations");
                break;
            }
        }
        setState(TrainerState::Saving);
        peft_->save(runAdapterDir(runDir_), modelDir_);
        finish(RunStatus::Completed);
        log(LogLevel::Info, "Completed " + std::to_string(state_.globalStep) + " steps; adapter in " + runAdapterDir(runDir_));
        setState(TrainerState::Completed);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        if (auto nl = msg.find('\n'); nl != std::string::npos)
            msg = msg.substr(0, nl);
        log(LogLevel::Error, msg);
        finish(RunStatus::Failed, msg);
        setState(TrainerState::Failed);
    }
    return summary_;
}

} // namespace

RunSummary Trainer::run(const RunConfig& config, TrainerObserver& observer, StopToken& stop) {
    const RunSummary summary = RunSession(config, "", observer, stop).execute();
    system::releaseCachedCpuMemory(); // the session's tensors are gone: give their blocks back
    return summary;
}

RunSummary Trainer::resume(const std::string& runDir, TrainerObserver& observer, StopToken& stop) {
    if (!isRunFolder(runDir))
        throw Error(runDir + ": not a run folder (no config.yaml / summary.json)");
    const RunSummary summary = RunSession(RunConfig{}, runDir, observer, stop).execute();
    system::releaseCachedCpuMemory();
    return summary;
}

} // namespace ps
