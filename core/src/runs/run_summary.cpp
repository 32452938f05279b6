// summary.json and notes.json of a run folder.
#include "ps/error.h"
#include "ps/runs.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <cmath>
#include <cstring>
#include <ctime>

namespace ps {
namespace {

Json optionalJson(const std::optional<double>& v) {
    if (!v)
        return nullptr;
    if (std::isnan(*v))
        return "nan";
    if (std::isinf(*v))
        return *v > 0 ? "inf" : "-inf";
    return *v;
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
    throw Error(what + ": '" + key + "' must be a number or null, found " + jsonTypeName(*it));
}

bool sameOptional(const std::optional<double>& a, const std::optional<double>& b) {
    if (a.has_value() != b.has_value())
        return false;
    return !a || *a == *b || std::memcmp(&*a, &*b, sizeof(double)) == 0;
}

} // namespace

const char* runStatusName(RunStatus status) {
    switch (status) {
    case RunStatus::Running:
        return "running";
    case RunStatus::Completed:
        return "completed";
    case RunStatus::Failed:
        return "failed";
    case RunStatus::Cancelled:
        return "cancelled";
    case RunStatus::Paused:
        return "paused";
    }
    return "running";
}

RunStatus parseRunStatus(const std::string& name) {
    for (RunStatus s :
         {RunStatus::Running, RunStatus::Completed, RunStatus::Failed, RunStatus::Cancelled, RunStatus::Paused})
        if (name == runStatusName(s))
            return s;
    throw Error("unknown run status '" + name + "' (expected running, completed, failed, cancelled or paused)");
}

bool operator==(const RunSummary& a, const RunSummary& b) {
    return a.status == b.status && sameOptional(a.finalLoss, b.finalLoss) &&
           sameOptional(a.finalEvalLoss, b.finalEvalLoss) && sameOptional(a.bestEvalLoss, b.bestEvalLoss) &&
           a.bestStep == b.bestStep && a.steps == b.steps && a.totalSteps == b.totalSteps && a.epochs == b.epochs &&
           a.tokens == b.tokens && a.tokensPerSec == b.tokensPerSec && a.peakMemoryBytes == b.peakMemoryBytes &&
           a.memoryKind == b.memoryKind && a.durationSec == b.durationSec && a.startedAt == b.startedAt &&
           a.updatedAt == b.updatedAt && a.finishedAt == b.finishedAt && a.error == b.error;
}

std::string runSummaryToJson(const RunSummary& s) {
    Json j = Json::object();
    j["format_version"] = 1;
    j["status"] = runStatusName(s.status);
    j["final_loss"] = optionalJson(s.finalLoss);
    j["final_eval_loss"] = optionalJson(s.finalEvalLoss);
    j["best_eval_loss"] = optionalJson(s.bestEvalLoss);
    j["best_step"] = s.bestStep;
    j["steps"] = s.steps;
    j["total_steps"] = s.totalSteps;
    j["epochs"] = s.epochs;
    j["tokens"] = s.tokens;
    j["tokens_per_sec"] = s.tokensPerSec;
    j["peak_memory_bytes"] = s.peakMemoryBytes;
    j["memory_kind"] = s.memoryKind;
    j["duration_sec"] = s.durationSec;
    j["started_at"] = s.startedAt;
    j["updated_at"] = s.updatedAt;
    j["finished_at"] = s.finishedAt;
    j["error"] = s.error;
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

RunSummary runSummaryFromJson(const std::string& json, const std::string& what) {
    const Json j = parseJson(json, what);
    if (!j.is_object())
        throw Error(what + ": expected a JSON object, found " + jsonTypeName(j));
    const std::int64_t version = jsonInt(j, "format_version", 1, what);
    if (version != 1)
        throw Error(what + ": format_version " + std::to_string(version) + " is not supported (expected 1)");
    RunSummary s;
    try {
        s.status = parseRunStatus(jsonString(j, "status", "running", what));
    } catch (const Error& e) {
        throw Error(what + ": " + e.what());
    }
    s.finalLoss = optionalNumber(j, "final_loss", what);
    s.finalEvalLoss = optionalNumber(j, "final_eval_loss", what);
    s.bestEvalLoss = optionalNumber(j, "best_eval_loss", what);
    s.bestStep = jsonInt(j, "best_step", -1, what);
    s.steps = jsonInt(j, "steps", 0, what);
    s.totalSteps = jsonInt(j, "total_steps", 0, what);
    s.epochs = jsonNumber(j, "epochs", 0.0, what);
    const std::int64_t tokens = jsonInt(j, "tokens", 0, what);
    s.tokens = tokens > 0 ? static_cast<std::uint64_t>(tokens) : 0;
    s.tokensPerSec = jsonNumber(j, "tokens_per_sec", 0.0, what);
    const std::int64_t peak = jsonInt(j, "peak_memory_bytes", 0, what);
    s.peakMemoryBytes = peak > 0 ? static_cast<std::uint64_t>(peak) : 0;
    s.memoryKind = jsonString(j, "memory_kind", "rss", what);
    s.durationSec = jsonNumber(j, "duration_sec", 0.0, what);
    s.startedAt = jsonString(j, "started_at", "", what);
    s.updatedAt = jsonString(j, "updated_at", "", what);
    s.finishedAt = jsonString(j, "finished_at", "", what);
    s.error = jsonString(j, "error", "", what);
    return s;
}

void writeRunSummary(const std::string& runDir, const RunSummary& summary) {
    writeFileAtomic(runSummaryPath(runDir), runSummaryToJson(summary));
}

RunSummary readRunSummary(const std::string& runDir) {
    const std::string path = runSummaryPath(runDir);
    RunSummary s = runSummaryFromJson(readFile(path, 1u << 20), path);
    s.runDir = runDir;
    return s;
}

RunAnnotations readRunAnnotations(const std::string& runDir) {
    const std::string path = joinPath(runDir, "notes.json");
    RunAnnotations a;
    if (!isRegularFile(path))
        return a;
    const Json j = parseJsonFile(path, 4u << 20);
    if (!j.is_object())
        throw Error(path + ": expected a JSON object, found " + jsonTypeName(j));
    a.notes = jsonString(j, "notes", "", path);
    if (auto it = j.find("tags"); it != j.end() && !it->is_null()) {
        if (!it->is_array())
            throw Error(path + ": 'tags' must be a list of strings, found " + jsonTypeName(*it));
        for (const auto& t : *it) {
            if (!t.is_string())
                throw Error(path + ": 'tags' must be a list of strings, found an item of type " + jsonTypeName(t));
            a.tags.push_back(t.get<std::string>());
        }
    }
    return a;
}

void writeRunAnnotations(const std::string& runDir, const RunAnnotations& a) {
    Json j = Json::object();
    j["tags"] = a.tags;
    j["notes"] = a.notes;
    writeFileAtomic(joinPath(runDir, "notes.json"), j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
}

std::string isoTimestampUtc(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
#ifdef _WIN32
    gmtime_s(&tm, &tt);
#else
    gmtime_r(&tt, &tm);
#endif
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace ps
