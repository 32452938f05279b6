#include "ps/train_benchmark.h"

#include "adapters/peft_model.h"
#include "model/attention.h"
#include "model/causal_lm.h"
#include "model/compute_options.h"
#include "ps/error.h"
#include "ps/model_presets.h"
#include "ps/run_config.h"
#include "ps/system_info.h"
#include "ps/run_method.h"
#include "system/blas_threads.h"
#include "system/caching_cpu_allocator.h"
#include "train/head_loss.h"
#include "train/optimizer.h"
#include "train/param_groups.h"
#include "util/json_util.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#if __has_include(<torch/csrc/autograd/profiler_legacy.h>)
#include <torch/csrc/autograd/profiler_legacy.h>
#define PS_HAVE_LEGACY_PROFILER 1
#endif

namespace ps {

#ifdef PS_HAVE_LEGACY_PROFILER
namespace {

std::string shapesText(const std::vector<std::vector<std::int64_t>>& shapes) {
    std::string text;
    for (const auto& shape : shapes) {
        if (!text.empty())
            text += ' ';
        text += '[';
        for (std::size_t i = 0; i < shape.size(); ++i)
            text += (i ? "," : "") + std::to_string(shape[i]);
        text += ']';
    }
    return text;
}

// Per (operator, input shapes): calls and inclusive CPU time, the most time first, as
// tab-separated lines. Events come as push/pop pairs per thread, nested.
void writeShapeSummary(std::ostream& out, const torch::autograd::profiler::thread_event_lists& lists) {
    using torch::autograd::profiler::EventKind;
    using torch::autograd::profiler::LegacyEvent;
    std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, double>> byShape;
    for (const auto& events : lists) {
        std::vector<const LegacyEvent*> open;
        for (const auto& e : events) {
            if (e.kind() == EventKind::PushRange) {
                open.push_back(&e);
            } else if (e.kind() == EventKind::PopRange && !open.empty()) {
                const LegacyEvent* start = open.back();
                open.pop_back();
                auto& slot = byShape[{start->name(), shapesText(start->shapes())}];
                slot.first += 1;
                slot.second += start->cpuElapsedUs(e) / 1000.0;
            }
        }
    }
    std::vector<std::pair<double, std::string>> lines;
    for (const auto& [key, value] : byShape)
        lines.emplace_back(value.second, key.first + "\t" + key.second + "\t" + std::to_string(value.first) + "\t" +
                                             std::to_string(value.second));
    std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    out << "operator\tinput shapes\tcalls\tinclusive ms\n";
    for (const auto& line : lines)
        out << line.second << '\n';
}

} // namespace
#endif

void profileOperators(const std::string& tracePath, const std::function<void()>& fn) {
#ifdef PS_HAVE_LEGACY_PROFILER
    namespace prof = torch::autograd::profiler;
    std::ofstream trace(tracePath), shapes(tracePath + ".shapes.tsv");
    if (!trace || !shapes)
        throw Error("profiling: cannot write " + tracePath + " or " + tracePath + ".shapes.tsv");
    {
        prof::TLSLegacyProfilerGuard guard(
            torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true),
            [&](const prof::thread_event_lists& lists) {
                std::vector<prof::LegacyEvent*> events; // the writer takes non-const pointers; it only reads
                for (const auto& list : lists)
                    for (const auto& e : list)
                        events.push_back(const_cast<prof::LegacyEvent*>(&e));
                prof::writeProfilerEventsToStream(trace, events);
                writeShapeSummary(shapes, lists);
            });
        fn();
    }
#else
    (void)fn;
    throw Error("profiling to " + tracePath + ": this LibTorch has no autograd profiler (profiler_legacy.h)");
#endif
}

TrainBenchResult runTrainBenchmark(const TrainBenchOptions& o, const std::function<void(const std::string&)>& progress) {
    const torch::Device device = model::parseComputeDevice(o.device);
    const torch::Dtype dtype = model::parseComputeDtype(o.dtype);
    if (!device.is_cuda())
        configureThreads(o.threads, dtype != torch::kFloat32);
    const Json cfgJson = parseJson(modelPresetConfigJson(o.preset), "preset " + o.preset);
    auto config = model::parseModelConfig(cfgJson, "preset " + o.preset);
    auto model = model::randomCausalLM(config, 1234);
    model->to(device, dtype);
    model->setGradientCheckpointing(o.gradientCheckpointing);
    RunConfig rc;
    rc.finetuning_type = o.method;
    rc.lora_rank = o.rank;
    rc.lora_alpha = 2.0 * static_cast<double>(o.rank);
    rc.model_name_or_path = o.preset;
    adapters::PeftModel pm(model, adapterSpecForRun(rc), 1);
    pm.train(true);
    train::NamedParams trainable;
    std::set<std::string> decay;
    std::vector<torch::Tensor> params;
    for (const auto& [name, t] : pm.tensors())
        if (t.requires_grad()) {
            trainable.emplace_back(name, t);
            params.push_back(t);
            decay.insert(name);
        }
    rc.learning_rate = 1e-4;
    auto opt = train::makeOptimizer(rc, train::makeParamGroups(trainable, decay, 0.0));
    const auto vocab = cfgJson.at("vocab_size").get<std::int64_t>();
    torch::manual_seed(7);
    auto ids = torch::randint(0, vocab, {o.batch, o.seq}, torch::kInt64).to(device);
    auto step = [&]() -> double {
        model::ForwardInput in;
        in.inputIds = ids;
        auto [positions, targets] = train::labelledPositions(ids);
        in.outputRows = positions; // as the trainer does: the last layer only where a label is predicted
        opt->zeroGrad();
        auto rows = pm.forward(in);
        auto head = pm.model()->lmHead();
        auto loss = train::fusedHeadCrossEntropySum(rows, head->weightOutIn(), head->bias, targets);
        (loss / static_cast<double>(targets.size(0))).backward();
        opt->step(1e-4);
        return loss.item<double>() / static_cast<double>(targets.size(0)); // waits for the GPU: the timing is the step's
    };
    if (progress)
        progress("warm-up step");
    const double firstLoss = step();
    // As the trainer does on the CPU: measure the BLAS configurations (system/blas_threads.h) on
    // steps that are not counted, then keep the fastest for the measured steps.
    std::string blasChoice;
    const system::BlasStateRestore blasRestore;
    const auto blasConfigs = device.is_cpu() ? system::blasConfigurations() : std::vector<system::BlasConfiguration>{};
    if (blasConfigs.size() > 1) {
        auto tuner = system::tunerOver(blasConfigs, 1, 1 << 30, 1e9);
        const auto next = [&]() -> const system::BlasConfiguration& {
            return blasConfigs[static_cast<std::size_t>(tuner.threadsForNextStep())];
        };
        tuner.recordStep(1.0, 1.0); // the warm-up step above
        for (bool chosen = false; !chosen;) {
            system::applyBlasConfiguration(next());
            const auto t0 = std::chrono::steady_clock::now();
            step();
            chosen = tuner.recordStep(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                                      static_cast<double>(o.batch * o.seq));
            if (progress)
                progress("BLAS trial step");
        }
        system::applyBlasConfiguration(next());
        blasChoice = next().label + " (measured " + tuner.lastChoice() + ")";
        if (progress)
            progress("BLAS: " + blasChoice);
    }
    double lastLoss = firstLoss;
    if (device.is_cuda())
        resetCudaPeakMemory(device.index());
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<double> stepSecs;
    for (std::int64_t s = 0; s < o.steps; ++s) {
        const auto s0 = std::chrono::steady_clock::now();
        lastLoss = step();
        stepSecs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count());
        if (progress)
            progress("step " + std::to_string(s + 1) + "/" + std::to_string(o.steps));
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!o.profileTrace.empty()) {
        profileOperators(o.profileTrace, [&] { step(); }); // one more step
        if (progress)
            progress("operator trace of one step: " + o.profileTrace);
    }
    if (progress) {
        const auto a = system::cachingCpuAllocatorStats();
        if (a.mappedBlocks > 0)
            progress("CPU allocator: " + std::to_string(a.mappedBlocks) + " blocks mapped, " +
                     std::to_string(a.reusedBlocks) + " reuses, peak " +
                     std::to_string(a.peakLiveBytes >> 20) + " MiB in large tensors");
    }
    TrainBenchResult r;
    r.secPerStep = secs / static_cast<double>(std::max<std::int64_t>(1, o.steps));
    r.tokensPerSec = static_cast<double>(o.batch * o.seq) / r.secPerStep;
    if (!stepSecs.empty()) {
        std::sort(stepSecs.begin(), stepSecs.end());
        r.bestSecPerStep = stepSecs.front();
        const auto n = stepSecs.size();
        r.medianSecPerStep = n % 2 ? stepSecs[n / 2] : 0.5 * (stepSecs[n / 2 - 1] + stepSecs[n / 2]);
    }
    r.peakRssMiB = static_cast<double>(peakRssBytes()) / (1024.0 * 1024.0);
    r.trainableParameters = pm.numTrainable();
    r.totalParameters = pm.numTotal();
    // FLOPs: every projection and the head cost 2*in*out per token forward and the same again
    // for the input gradient in backward (frozen weights get no weight gradient); attention
    // scores (QK^T and AV, full T x T) add 4*T*H per token per layer forward and 8*T*H backward. Adapter FLOPs are small.
    double linearParams = 0;
    for (auto& [path, lin] : pm.model()->linearModules(true))
        linearParams += static_cast<double>(lin->inFeatures * lin->outFeatures);
    const double tokens = static_cast<double>(o.batch * o.seq);
    const double layers = static_cast<double>(config.numLayers);
    const double hiddenSize = static_cast<double>(config.hiddenSize);
    r.flopsPerStep = tokens * (4.0 * linearParams + 12.0 * static_cast<double>(o.seq) * hiddenSize * layers);
    r.gflopsPerSec = r.flopsPerStep / r.secPerStep / 1e9;
    r.device = device.is_cuda() ? "cuda" : "cpu";
    r.fusedAttention = model::fusedAttentionActive(device);
    r.blasChoice = blasChoice;
    r.firstLoss = firstLoss;
    r.lastLoss = lastLoss;
    r.threads = torch::get_num_threads();
    if (device.is_cuda()) {
        const auto cuda = cudaMemoryStats(device.index());
        r.cudaPeakMiB = static_cast<double>(cuda.peakAllocatedBytes) / (1024.0 * 1024.0);
        r.cudaReservedMiB = static_cast<double>(cuda.reservedBytes) / (1024.0 * 1024.0);
    }
    return r;
}

} // namespace ps
