#include "train/checkpoint.h"

#include "ps/error.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>

#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

namespace fs = std::filesystem;

namespace ps::train {
namespace {

constexpr const char* kTrainable = "trainable.safetensors";
constexpr const char* kOptimizer = "optimizer.safetensors";
constexpr const char* kRng = "rng.safetensors";
constexpr const char* kState = "trainer_state.json";

std::string randomSuffix() {
    std::random_device rd;
    return std::to_string(rd() % 1000000);
}

void syncDirectory(const fs::path& dir) {
#ifndef _WIN32
    const int fd = ::open(dir.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
#else
    (void)dir;
#endif
}

// "step-12" -> 12; -1 for anything else (including "step-12.tmp-3").
std::int64_t stepOfName(const std::string& name) {
    if (name.rfind("step-", 0) != 0 || name.size() == 5)
        return -1;
    std::int64_t v = 0;
    for (std::size_t i = 5; i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

// Test hook for the kill -9 crash test (tests/reliability): PEFT_STUDIO_TEST_CHECKPOINT_DELAY_MS
// pauses between the files of a checkpoint so that a kill can land inside the write. Unset
// in normal use; read once.
void testDelayBetweenFiles() {
    static const int ms = [] {
        const char* v = std::getenv("PEFT_STUDIO_TEST_CHECKPOINT_DELAY_MS");
        return v ? std::atoi(v) : 0;
    }();
    if (ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void removeStaleTemporaries(const fs::path& checkpointsDir) {
    std::error_code ec;
    for (fs::directory_iterator it(checkpointsDir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind("step-", 0) == 0 &&
            (name.find(".tmp-") != std::string::npos || name.find(".old-") != std::string::npos)) {
            std::error_code e2;
            removeTree(it->path(), e2);
        }
    }
}

Json optionalJson(const std::optional<double>& v) {
    if (!v)
        return nullptr;
    if (!std::isfinite(*v))
        return std::isnan(*v) ? Json("nan") : Json(*v > 0 ? "inf" : "-inf");
    return *v;
}

Json stateToJson(const TrainerState& s, const Json& files) {
    Json j = Json::object();
    j["format_version"] = 1;
    j["global_step"] = s.globalStep;
    j["scheduler_step"] = s.schedulerStep;
    j["total_steps"] = s.totalSteps;
    j["epoch"] = s.epoch;
    j["data_position"] = {{"epoch", s.data.epoch}, {"index", s.data.index}};
    j["tokens_seen"] = s.tokensSeen;
    j["elapsed_sec"] = s.elapsedSec;
    j["best_eval_loss"] = optionalJson(s.bestEvalLoss);
    j["best_step"] = s.bestStep;
    j["evals_without_improvement"] = s.evalsWithoutImprovement;
    j["data_rng_state"] = s.dataRngState;
    j["files"] = files;
    return j;
}

std::int64_t requireInt(const Json& obj, const char* key, const std::string& what, std::int64_t min) {
    const std::int64_t v = jsonRequireInt(obj, key, what);
    if (v < min)
        throw Error(what + ": '" + key + "' must be >= " + std::to_string(min) + ", got " + std::to_string(v));
    return v;
}

double requireNumber(const Json& obj, const char* key, const std::string& what) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number())
        throw Error(what + ": missing key '" + key + "' (number expected)");
    return it->get<double>();
}

TrainerState stateFromJson(const Json& j, const std::string& what) {
    if (!j.is_object())
        throw Error(what + ": expected a JSON object, found " + jsonTypeName(j));
    const std::int64_t version = jsonRequireInt(j, "format_version", what);
    if (version != 1)
        throw Error(what + ": format_version " + std::to_string(version) + " is not supported (expected 1)");
    TrainerState s;
    s.globalStep = requireInt(j, "global_step", what, 0);
    s.schedulerStep = requireInt(j, "scheduler_step", what, 0);
    s.totalSteps = requireInt(j, "total_steps", what, 0);
    s.epoch = requireNumber(j, "epoch", what);
    auto pos = j.find("data_position");
    if (pos == j.end() || !pos->is_object())
        throw Error(what + ": missing key 'data_position' (object with epoch and index expected)");
    s.data.epoch = requireInt(*pos, "epoch", what + " data_position", 0);
    s.data.index = requireInt(*pos, "index", what + " data_position", 0);
    s.tokensSeen = static_cast<std::uint64_t>(requireInt(j, "tokens_seen", what, 0));
    s.elapsedSec = requireNumber(j, "elapsed_sec", what);
    if (auto it = j.find("best_eval_loss"); it != j.end() && !it->is_null()) {
        if (it->is_number())
            s.bestEvalLoss = it->get<double>();
        else if (it->is_string() && it->get<std::string>() == "nan")
            s.bestEvalLoss = std::nan("");
        else if (it->is_string() && (it->get<std::string>() == "inf" || it->get<std::string>() == "-inf"))
            s.bestEvalLoss = it->get<std::string>() == "inf" ? HUGE_VAL : -HUGE_VAL;
        else
            throw Error(what + ": 'best_eval_loss' must be a number or null, found " + jsonTypeName(*it));
    }
    s.bestStep = requireInt(j, "best_step", what, -1);
    s.evalsWithoutImprovement = requireInt(j, "evals_without_improvement", what, 0);
    // Empty when the data order needs no RNG of its own (the trainer derives each epoch's order
    // from seed + epoch, so the position in data_epoch / data_index is enough).
    s.dataRngState = jsonRequireString(j, "data_rng_state", what);
    return s;
}

std::map<std::string, std::string> readMetadata(const std::string& path) {
    return SafetensorsFile::open(path)->metadata();
}

} // namespace

bool operator==(const TrainerState& a, const TrainerState& b) {
    const bool bestSame = a.bestEvalLoss.has_value() == b.bestEvalLoss.has_value() &&
                          (!a.bestEvalLoss || std::memcmp(&*a.bestEvalLoss, &*b.bestEvalLoss, sizeof(double)) == 0);
    return a.globalStep == b.globalStep && a.schedulerStep == b.schedulerStep && a.totalSteps == b.totalSteps &&
           a.epoch == b.epoch && a.data.epoch == b.data.epoch && a.data.index == b.data.index &&
           a.tokensSeen == b.tokensSeen && a.elapsedSec == b.elapsedSec && bestSame && a.bestStep == b.bestStep &&
           a.evalsWithoutImprovement == b.evalsWithoutImprovement && a.dataRngState == b.dataRngState;
}

std::string writeCheckpoint(const std::string& checkpointsDir, const Checkpoint& ckpt,
                            const std::function<void(const std::string& dir)>& extraFiles) {
    const fs::path root(checkpointsDir);
    std::error_code ec;
    fs::create_directories(root, ec);
    if (!isDirectory(checkpointsDir))
        throw Error(checkpointsDir + ": cannot create the checkpoints folder (" + ec.message() + ")");
    removeStaleTemporaries(root);

    const std::string name = "step-" + std::to_string(ckpt.state.globalStep);
    const fs::path finalDir = root / name;
    const fs::path tmpDir = root / (name + ".tmp-" + randomSuffix());
    if (!fs::create_directory(tmpDir, ec))
        throw Error(tmpDir.string() + ": cannot create the checkpoint folder (" + ec.message() + ")");
    try {
        saveTensors((tmpDir / kTrainable).string(), ckpt.trainable);
        testDelayBetweenFiles();
        saveTensors((tmpDir / kOptimizer).string(), ckpt.optimizerState, ckpt.optimizerMetadata);
        testDelayBetweenFiles();
        saveTensors((tmpDir / kRng).string(), ckpt.rngState);
        if (extraFiles)
            extraFiles(tmpDir.string());
        testDelayBetweenFiles();
        Json files = Json::object();
        for (const char* f : {kTrainable, kOptimizer, kRng})
            files[f] = fileSize((tmpDir / f).string());
        // Written last: its presence says the tensors before it are complete.
        writeFileAtomic((tmpDir / kState).string(), stateToJson(ckpt.state, files).dump(2) + "\n");
        syncDirectory(tmpDir);

        fs::path old;
        if (fs::exists(finalDir, ec)) {
            old = root / (name + ".old-" + randomSuffix());
            fs::rename(finalDir, old, ec);
            if (ec)
                throw Error(finalDir.string() + ": cannot replace the existing checkpoint (" + ec.message() + ")");
        }
        fs::rename(tmpDir, finalDir, ec);
        if (ec) {
            if (!old.empty()) {
                std::error_code e2;
                fs::rename(old, finalDir, e2);
            }
            throw Error(finalDir.string() + ": cannot move the checkpoint into place (" + ec.message() + ")");
        }
        syncDirectory(root);
        if (!old.empty())
            removeTree(old, ec);
    } catch (...) {
        std::error_code e2;
        removeTree(tmpDir, e2);
        throw; // the caller reports it; earlier checkpoints are untouched
    }
    return finalDir.string();
}

Checkpoint readCheckpoint(const std::string& dir) {
    if (!isDirectory(dir))
        throw Error(dir + ": checkpoint folder not found");
    const std::string statePath = joinPath(dir, kState);
    if (!isRegularFile(statePath))
        throw Error(statePath + ": missing (the checkpoint is incomplete)");
    const Json j = parseJsonFile(statePath, 64u << 20);
    Checkpoint ckpt;
    ckpt.state = stateFromJson(j, statePath);

    auto files = j.find("files");
    if (files == j.end() || !files->is_object())
        throw Error(statePath + ": missing key 'files' (object of file sizes expected)");
    for (const char* f : {kTrainable, kOptimizer, kRng}) {
        const std::string path = joinPath(dir, f);
        const std::int64_t expected = jsonRequireInt(*files, f, statePath + " files");
        if (!isRegularFile(path))
            throw Error(path + ": missing (listed in " + kState + ")");
        if (fileSize(path) != static_cast<std::uint64_t>(expected))
            throw Error(path + ": is " + std::to_string(fileSize(path)) + " bytes, " + kState + " recorded " +
                        std::to_string(expected) + " (the file was changed or truncated)");
    }
    ckpt.trainable = loadAllTensors(joinPath(dir, kTrainable));
    ckpt.optimizerState = loadAllTensors(joinPath(dir, kOptimizer));
    ckpt.optimizerMetadata = readMetadata(joinPath(dir, kOptimizer));
    ckpt.optimizerMetadata.erase("format");
    ckpt.rngState = loadAllTensors(joinPath(dir, kRng));
    bool cpu = false;
    for (const auto& [name, t] : ckpt.rngState) {
        if (t.scalar_type() != torch::kUInt8 || t.dim() != 1)
            throw Error(joinPath(dir, kRng) + ": RNG state '" + name + "' must be a 1-D uint8 tensor");
        cpu = cpu || name == "torch_cpu";
    }
    if (!cpu)
        throw Error(joinPath(dir, kRng) + ": RNG state 'torch_cpu' is missing");
    if (ckpt.optimizerMetadata.find("optimizer") == ckpt.optimizerMetadata.end())
        throw Error(joinPath(dir, kOptimizer) + ": metadata 'optimizer' is missing");
    return ckpt;
}

std::vector<std::pair<std::int64_t, std::string>> listCheckpoints(const std::string& checkpointsDir) {
    std::vector<std::pair<std::int64_t, std::string>> out;
    std::error_code ec;
    for (fs::directory_iterator it(checkpointsDir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::int64_t step = stepOfName(it->path().filename().string());
        if (step >= 0 && isRegularFile((it->path() / kState).string()))
            out.emplace_back(step, it->path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<std::string> latestCheckpoint(const std::string& checkpointsDir) {
    const auto all = listCheckpoints(checkpointsDir);
    if (all.empty())
        return std::nullopt;
    return all.back().second;
}

void pruneCheckpoints(const std::string& checkpointsDir, int keepLast, std::int64_t keepStep) {
    removeStaleTemporaries(checkpointsDir);
    if (keepLast <= 0)
        return;
    const auto all = listCheckpoints(checkpointsDir);
    const std::size_t n = all.size();
    for (std::size_t i = 0; i + static_cast<std::size_t>(keepLast) < n; ++i) {
        if (all[i].first == keepStep)
            continue;
        std::error_code ec;
        removeTree(all[i].second, ec);
    }
}

} // namespace ps::train
