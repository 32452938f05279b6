#pragma once
// MetricSample — one logging or evaluation event of a training run (torch-free), and the run
// folder's metrics.jsonl: append-only, one JSON object per line, e.g.
//   {"type":"train","step":10,"epoch":0.25,"loss":2.31,"lr":9.5e-05,"grad_norm":1.7,...}
//   {"type":"eval","step":50,"epoch":1.0,"eval_loss":2.02,...}
// A crash can leave the final line half-written: readers ignore one torn final line, and the
// writer cuts it off before appending again.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ps {

struct MetricSample {
    enum class Kind { Train, Eval };
    Kind kind = Kind::Train;
    std::int64_t step = 0;              // optimizer steps completed
    std::int64_t totalSteps = 0;        // planned optimizer steps
    double epoch = 0.0;                 // fractional epochs completed
    std::optional<double> loss;         // train: mean loss over the logging window (may be NaN/inf)
    std::optional<double> evalLoss;     // eval: mean loss on the validation split
    std::optional<double> learningRate; // lr of the last optimizer step
    std::optional<double> gradNorm;     // global L2 norm before clipping
    double tokensPerSec = 0.0;          // trained tokens per second over the logging window
    std::uint64_t tokensSeen = 0;       // trained tokens since the start of the run
    double elapsedSec = 0.0;            // wall time since the start of the run (excluding pauses)
    std::optional<double> etaSec;       // estimated time to the end
    // Memory: process RSS always; CUDA caching-allocator figures when training on a GPU.
    std::uint64_t rssBytes = 0;
    std::uint64_t peakRssBytes = 0;
    std::uint64_t cudaAllocatedBytes = 0;
    std::uint64_t cudaReservedBytes = 0;
    std::uint64_t cudaPeakBytes = 0;
    std::int64_t timestampMs = 0; // Unix time in milliseconds

    // exp(evalLoss), when there is one.
    std::optional<double> evalPerplexity() const;
};

bool operator==(const MetricSample& a, const MetricSample& b);

// One JSON object on one line (no trailing newline). Absent optionals are omitted; non-finite
// numbers are written as the strings "nan", "inf", "-inf" (JSON has no NaN).
std::string metricSampleToJson(const MetricSample& sample);
// Parses one line; `what` names the file and line in errors.
MetricSample metricSampleFromJson(const std::string& line, const std::string& what);

// Reads a metrics.jsonl file. An unparsable FINAL line is a torn write and is skipped (reported
// through `tornFinalLine`); an unparsable line anywhere else is an error naming file and line.
// A missing file reads as no samples.
std::vector<MetricSample> readMetricsFile(const std::string& path, bool* tornFinalLine = nullptr);

// For resume: keeps the lines whose step is <= `step` (those logged up to the checkpoint), drops
// the rest and any torn final line, rewriting the file atomically. Returns the lines dropped.
std::size_t truncateMetricsAfterStep(const std::string& path, std::int64_t step);

} // namespace ps
