// Run folder names, paths, creation and lookup.
#include "ps/error.h"
#include "ps/runs.h"
#include "util/file_util.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace fs = std::filesystem;

namespace ps {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

bool isReservedWindowsName(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    const auto dot = s.find('.');
    const std::string stem = s.substr(0, dot);
    if (stem == "CON" || stem == "PRN" || stem == "AUX" || stem == "NUL")
        return true;
    return stem.size() == 4 && (stem.compare(0, 3, "COM") == 0 || stem.compare(0, 3, "LPT") == 0) &&
           std::isdigit(static_cast<unsigned char>(stem[3]));
}

std::string stripEdges(std::string s) {
    const auto first = s.find_first_not_of(".-");
    if (first == std::string::npos)
        return {};
    const auto last = s.find_last_not_of(".-");
    return s.substr(first, last - first + 1);
}

std::string absoluteIfExists(const std::string& path) {
    std::error_code ec;
    if (path.empty() || !fs::exists(path, ec))
        return path;
    const fs::path abs = fs::absolute(path, ec);
    return ec ? path : abs.lexically_normal().string();
}

} // namespace

std::string defaultRunsRoot() {
    if (const std::string v = env("PEFT_STUDIO_RUNS"); !v.empty())
        return v;
#ifdef _WIN32
    if (const std::string v = env("LOCALAPPDATA"); !v.empty())
        return (fs::path(v) / "PEFT Studio" / "runs").string();
#else
    if (const std::string v = env("XDG_DATA_HOME"); !v.empty())
        return (fs::path(v) / "peft-studio" / "runs").string();
    if (const std::string v = env("HOME"); !v.empty())
        return (fs::path(v) / ".local" / "share" / "peft-studio" / "runs").string();
#endif
    return "runs";
}

std::string runsRootFor(const RunConfig& config) {
    return config.output_dir.empty() ? defaultRunsRoot() : config.output_dir;
}

std::string modelShortName(const std::string& modelNameOrPath) {
    std::vector<std::string> parts;
    std::string cur;
    for (const char c : modelNameOrPath) {
        if (c == '/' || c == '\\') {
            if (!cur.empty())
                parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty())
        parts.push_back(cur);
    if (parts.empty())
        return {};
    // The HF cache keeps models as .../models--Org--Name/snapshots/<commit>.
    if (parts.size() >= 3 && parts[parts.size() - 2] == "snapshots" &&
        parts[parts.size() - 3].rfind("models--", 0) == 0) {
        const std::string& repo = parts[parts.size() - 3];
        return repo.substr(repo.rfind("--") + 2);
    }
    return parts.back();
}

std::string sanitizeNameComponent(const std::string& text, std::size_t maxLength, const std::string& fallback) {
    std::string out;
    for (const unsigned char c : text) {
        const char kept = std::isalnum(c) || c == '.' || c == '_' ? static_cast<char>(c) : '-';
        if (kept != '-' || out.empty() || out.back() != '-') // runs of '-' collapse to one
            out += kept;
    }
    out = stripEdges(out);
    if (out.size() > maxLength)
        out = stripEdges(out.substr(0, maxLength));
    if (out.empty())
        return fallback;
    if (isReservedWindowsName(out))
        out = "_" + out;
    return out;
}

std::string runFolderName(const RunConfig& config, std::chrono::system_clock::time_point startedAt) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(startedAt);
    std::tm tm{};
#ifdef _WIN32
    localtime_s(&tm, &tt);
#else
    localtime_r(&tt, &tm);
#endif
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    return std::string(stamp) + "-" + sanitizeNameComponent(config.finetuning_type, 16, "method") + "-" +
           sanitizeNameComponent(modelShortName(config.model_name_or_path), 48, "model");
}

std::string createRunFolder(const RunConfig& config, RunConfig* resolvedOut,
                            std::chrono::system_clock::time_point now) {
    const std::string root = runsRootFor(config);
    std::error_code ec;
    fs::create_directories(root, ec);
    if (!isDirectory(root))
        throw Error(root + ": cannot create the runs folder (" + (ec ? ec.message() : std::string("not a folder")) +
                    ")");
    const std::string base = runFolderName(config, now);
    std::string dir;
    for (int n = 1; n <= 1000 && dir.empty(); ++n) {
        const fs::path candidate = fs::path(root) / (n == 1 ? base : base + "-" + std::to_string(n));
        // create_directory is the atomic claim: it fails when another run took the name first.
        if (fs::create_directory(candidate, ec))
            dir = candidate.string();
        else if (ec)
            throw Error(candidate.string() + ": cannot create the run folder (" + ec.message() + ")");
    }
    if (dir.empty())
        throw Error(root + ": too many runs named " + base);
    fs::create_directories(fs::path(dir) / "checkpoints", ec);

    RunConfig resolved = config;
    resolved.model_name_or_path = absoluteIfExists(config.model_name_or_path);
    resolved.dataset = absoluteIfExists(config.dataset);
    resolved.output_dir = absoluteIfExists(root);
    if (resolved.run_name.empty())
        resolved.run_name = fileName(dir);

    // summary.json first, config.yaml last: config.yaml is what makes a folder a run
    // (isRunFolder), so a crash in between never leaves a run without its summary.
    RunSummary summary;
    summary.status = RunStatus::Running;
    summary.startedAt = isoTimestampUtc(now);
    summary.updatedAt = summary.startedAt;
    writeRunSummary(dir, summary);
    saveRunConfig(resolved, runConfigPath(dir));
    if (resolvedOut)
        *resolvedOut = resolved;
    return dir;
}

std::string runConfigPath(const std::string& runDir) {
    return joinPath(runDir, "config.yaml");
}
std::string runMetricsPath(const std::string& runDir) {
    return joinPath(runDir, "metrics.jsonl");
}
std::string runLogPath(const std::string& runDir) {
    return joinPath(runDir, "log.txt");
}
std::string runSummaryPath(const std::string& runDir) {
    return joinPath(runDir, "summary.json");
}
std::string runCheckpointsDir(const std::string& runDir) {
    return joinPath(runDir, "checkpoints");
}
std::string runAdapterDir(const std::string& runDir) {
    return joinPath(runDir, "adapter");
}

bool isRunFolder(const std::string& dir) {
    return isRegularFile(runConfigPath(dir));
}

std::vector<std::string> listRunFolders(const std::string& root) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code e2;
        if (it->is_directory(e2) && isRunFolder(it->path().string()))
            out.push_back(it->path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string findRunFolder(const std::string& root, const std::string& run) {
    if (isRunFolder(run))
        return run;
    const std::string direct = joinPath(root, run);
    // Only a plain name is looked up under the root: "../x" must not escape it.
    const bool plainName = !run.empty() && run.find_first_of("/\\") == std::string::npos && run != "." && run != "..";
    if (plainName && isRunFolder(direct))
        return direct;
    std::vector<std::string> matches;
    if (plainName)
        for (const auto& dir : listRunFolders(root))
            if (fileName(dir).rfind(run, 0) == 0)
                matches.push_back(dir);
    if (matches.size() == 1)
        return matches.front();
    if (matches.size() > 1) {
        std::string names;
        for (std::size_t i = 0; i < matches.size() && i < 5; ++i)
            names += (i ? ", " : "") + fileName(matches[i]);
        throw Error("run '" + run + "' is ambiguous under " + root + ": " + names +
                    (matches.size() > 5 ? ", ..." : ""));
    }
    throw Error("no run '" + run + "': not a run folder (no config.yaml) and no run of that name under " + root);
}

} // namespace ps
