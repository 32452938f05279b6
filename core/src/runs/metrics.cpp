// MetricSample <-> one JSON line, and the tolerant metrics.jsonl reader.
#include "ps/metrics.h"

#include "ps/error.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <cmath>
#include <cstring>

namespace ps {
namespace {

Json number(double v) {
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    return v;
}

std::optional<double> optionalNumber(const Json& obj, const char* key, const std::string& what) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return std::nullopt;
    if (it->is_number())
        return it->get<double>();
    if (it->is_string()) {
        const std::string s = it->get<std::string>();
        if (s == "nan")
            return std::nan("");
        if (s == "inf")
            return HUGE_VAL;
        if (s == "-inf")
            return -HUGE_VAL;
    }
    throw Error(what + ": '" + key + "' must be a number, found " + jsonTypeName(*it));
}

std::uint64_t unsignedField(const Json& obj, const char* key, const std::string& what) {
    const std::int64_t v = jsonInt(obj, key, 0, what);
    if (v < 0)
        throw Error(what + ": '" + key + "' must be >= 0, got " + std::to_string(v));
    return static_cast<std::uint64_t>(v);
}

// Bitwise or equal: a NaN read back from "nan" equals itself (the file accepts non-finite
// values for every number; epoch / tokens_per_sec / elapsed_sec once compared with ==, so a
// sample did not equal its own round trip; found by tests/fuzz/fuzz_metrics).
bool sameDouble(double a, double b) {
    return std::memcmp(&a, &b, sizeof(double)) == 0 || a == b;
}

bool sameOptional(const std::optional<double>& a, const std::optional<double>& b) {
    if (a.has_value() != b.has_value())
        return false;
    return !a || sameDouble(*a, *b);
}

} // namespace

std::optional<double> MetricSample::evalPerplexity() const {
    if (!evalLoss)
        return std::nullopt;
    return std::exp(*evalLoss);
}

bool operator==(const MetricSample& a, const MetricSample& b) {
    return a.kind == b.kind && a.step == b.step && a.totalSteps == b.totalSteps && sameDouble(a.epoch, b.epoch) &&
           sameOptional(a.loss, b.loss) && sameOptional(a.evalLoss, b.evalLoss) &&
           sameOptional(a.learningRate, b.learningRate) && sameOptional(a.gradNorm, b.gradNorm) &&
           sameDouble(a.tokensPerSec, b.tokensPerSec) && a.tokensSeen == b.tokensSeen &&
           sameDouble(a.elapsedSec, b.elapsedSec) &&
           sameOptional(a.etaSec, b.etaSec) && a.rssBytes == b.rssBytes && a.peakRssBytes == b.peakRssBytes &&
           a.cudaAllocatedBytes == b.cudaAllocatedBytes && a.cudaReservedBytes == b.cudaReservedBytes &&
           a.cudaPeakBytes == b.cudaPeakBytes && a.timestampMs == b.timestampMs;
}

std::string metricSampleToJson(const MetricSample& s) {
    Json j = Json::object();
    j["type"] = s.kind == MetricSample::Kind::Eval ? "eval" : "train";
    j["step"] = s.step;
    j["total_steps"] = s.totalSteps;
    j["epoch"] = number(s.epoch);
    if (s.loss)
        j["loss"] = number(*s.loss);
    if (s.evalLoss)
        j["eval_loss"] = number(*s.evalLoss);
    if (s.learningRate)
        j["lr"] = number(*s.learningRate);
    if (s.gradNorm)
        j["grad_norm"] = number(*s.gradNorm);
    j["tokens_per_sec"] = number(s.tokensPerSec);
    j["tokens"] = s.tokensSeen;
    j["elapsed"] = number(s.elapsedSec);
    if (s.etaSec)
        j["eta"] = number(*s.etaSec);
    j["rss_bytes"] = s.rssBytes;
    j["peak_rss_bytes"] = s.peakRssBytes;
    // CUDA figures only when training on a GPU, to keep CPU lines short.
    if (s.cudaAllocatedBytes || s.cudaReservedBytes || s.cudaPeakBytes) {
        j["cuda_allocated_bytes"] = s.cudaAllocatedBytes;
        j["cuda_reserved_bytes"] = s.cudaReservedBytes;
        j["cuda_peak_bytes"] = s.cudaPeakBytes;
    }
    j["time_ms"] = s.timestampMs;
    return j.dump();
}

MetricSample metricSampleFromJson(const std::string& line, const std::string& what) {
    const Json j = parseJson(line, what);
    if (!j.is_object())
        throw Error(what + ": expected a JSON object, found " + jsonTypeName(j));
    MetricSample s;
    const std::string type = jsonString(j, "type", "train", what);
    if (type == "train")
        s.kind = MetricSample::Kind::Train;
    else if (type == "eval")
        s.kind = MetricSample::Kind::Eval;
    else
        throw Error(what + ": 'type' must be train or eval, got '" + type + "'");
    s.step = jsonInt(j, "step", 0, what);
    s.totalSteps = jsonInt(j, "total_steps", 0, what);
    s.epoch = optionalNumber(j, "epoch", what).value_or(0.0);
    s.loss = optionalNumber(j, "loss", what);
    s.evalLoss = optionalNumber(j, "eval_loss", what);
    s.learningRate = optionalNumber(j, "lr", what);
    s.gradNorm = optionalNumber(j, "grad_norm", what);
    s.tokensPerSec = optionalNumber(j, "tokens_per_sec", what).value_or(0.0);
    s.tokensSeen = unsignedField(j, "tokens", what);
    s.elapsedSec = optionalNumber(j, "elapsed", what).value_or(0.0);
    s.etaSec = optionalNumber(j, "eta", what);
    s.rssBytes = unsignedField(j, "rss_bytes", what);
    s.peakRssBytes = unsignedField(j, "peak_rss_bytes", what);
    s.cudaAllocatedBytes = unsignedField(j, "cuda_allocated_bytes", what);
    s.cudaReservedBytes = unsignedField(j, "cuda_reserved_bytes", what);
    s.cudaPeakBytes = unsignedField(j, "cuda_peak_bytes", what);
    s.timestampMs = jsonInt(j, "time_ms", 0, what);
    return s;
}

std::vector<MetricSample> readMetricsFile(const std::string& path, bool* tornFinalLine) {
    if (tornFinalLine)
        *tornFinalLine = false;
    std::vector<MetricSample> out;
    if (!isRegularFile(path))
        return out;
    const std::string text = readFile(path, 4ull << 30);
    // Lines with their 1-based numbers; blank lines (and NUL padding a crash can leave) skipped.
    std::vector<std::pair<std::size_t, std::string>> lines;
    std::size_t start = 0, lineNo = 1;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        if (line.find_first_not_of(std::string(" \t\r\0", 4)) != std::string::npos)
            lines.emplace_back(lineNo, std::move(line));
        start = end + 1;
        ++lineNo;
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string what = path + " line " + std::to_string(lines[i].first);
        try {
            out.push_back(metricSampleFromJson(lines[i].second, what));
        } catch (const Error&) {
            if (i + 1 != lines.size())
                throw;
            if (tornFinalLine) // a write cut short by a crash: everything before it is good
                *tornFinalLine = true;
        }
    }
    return out;
}

std::size_t truncateMetricsAfterStep(const std::string& path, std::int64_t step) {
    if (!isRegularFile(path))
        return 0;
    const std::string text = readFile(path, 4ull << 30);
    std::string kept;
    std::size_t dropped = 0, start = 0, lineNo = 1;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        const bool isLast = text.find_first_not_of(std::string(" \t\r\n\0", 5), end) == std::string::npos;
        const std::string line = text.substr(start, end - start);
        if (line.find_first_not_of(std::string(" \t\r\0", 4)) != std::string::npos) {
            bool keep = false;
            try {
                keep = metricSampleFromJson(line, path + " line " + std::to_string(lineNo)).step <= step;
            } catch (const Error&) {
                if (!isLast)
                    throw; // damage before the last line is not a torn write: do not hide it
            }
            if (keep)
                kept += line + "\n";
            else
                ++dropped;
        }
        start = end + 1;
        ++lineNo;
    }
    if (dropped)
        writeFileAtomic(path, kept);
    return dropped;
}

} // namespace ps
