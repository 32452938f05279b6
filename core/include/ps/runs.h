#pragma once
// Run folders (torch-free). A training run is a folder, and the folder is the truth:
//
//   <runs root>/<yyyymmdd-hhmmss>-<method>-<model>/
//     config.yaml      the fully resolved RunConfig (every key; paths made absolute)
//     metrics.jsonl    append-only MetricSample lines (ps/metrics.h)
//     log.txt          human-readable log
//     summary.json     RunSummary: status, losses, steps, tokens, speed, memory, times
//     notes.json       user tags and notes (edited from the GUI / catalog)
//     checkpoints/     step-N/ folders, written atomically (train/checkpoint.h)
//     adapter/         the final adapter in HF PEFT format
//
// The SQLite catalog (ps/run_catalog.h) only indexes these folders and can be rebuilt from them.
#include "ps/run_config.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ps {

enum class RunStatus { Running, Completed, Failed, Cancelled, Paused };

// "running", "completed", "failed", "cancelled", "paused".
const char* runStatusName(RunStatus status);
// Throws ps::Error for an unknown name.
RunStatus parseRunStatus(const std::string& name);

struct RunSummary {
    RunStatus status = RunStatus::Running;
    std::string runDir;                  // the folder (filled in by readers; not stored in summary.json)
    std::optional<double> finalLoss;     // last logged training loss
    std::optional<double> finalEvalLoss; // last evaluation
    std::optional<double> bestEvalLoss;  // best evaluation (the "best" checkpoint)
    std::int64_t bestStep = -1;          // step of bestEvalLoss
    std::int64_t steps = 0;              // optimizer steps done
    std::int64_t totalSteps = 0;         // planned
    double epochs = 0.0;                 // epochs done (fractional)
    std::uint64_t tokens = 0;            // trained tokens
    double tokensPerSec = 0.0;           // average over the run
    std::uint64_t peakMemoryBytes = 0;   // peak RSS on CPU, CUDA peak allocated on GPU
    std::string memoryKind = "rss";      // "rss" or "cuda"
    double durationSec = 0.0;            // training wall time, pauses excluded
    std::string startedAt;               // ISO 8601 UTC, "2025-01-31T12:34:56Z"
    std::string updatedAt;
    std::string finishedAt; // empty while running / paused
    std::string error;      // why it failed (status failed)
};

bool operator==(const RunSummary& a, const RunSummary& b);

std::string runSummaryToJson(const RunSummary& summary);
RunSummary runSummaryFromJson(const std::string& json, const std::string& what);
// summary.json of `runDir` (atomic write); reading fills runDir.
void writeRunSummary(const std::string& runDir, const RunSummary& summary);
RunSummary readRunSummary(const std::string& runDir);

struct RunAnnotations {
    std::vector<std::string> tags;
    std::string notes;
};
// notes.json of `runDir`; a missing file reads as empty annotations.
RunAnnotations readRunAnnotations(const std::string& runDir);
void writeRunAnnotations(const std::string& runDir, const RunAnnotations& annotations);

// --- folder names and paths

// The default runs root: $PEFT_STUDIO_RUNS, else $XDG_DATA_HOME/peft-studio/runs
// (~/.local/share/peft-studio/runs; %LOCALAPPDATA%\PEFT Studio\runs on Windows).
std::string defaultRunsRoot();
// config.output_dir, or defaultRunsRoot() when it is empty.
std::string runsRootFor(const RunConfig& config);

// The last path component of a model folder or hub id ("/m/SmolLM2-135M/" -> "SmolLM2-135M").
std::string modelShortName(const std::string& modelNameOrPath);
// Makes `text` safe as one path component: only [A-Za-z0-9._-], runs of anything else become
// one '-', no leading '.' or '-', at most `maxLength` characters; "" becomes `fallback`.
std::string sanitizeNameComponent(const std::string& text, std::size_t maxLength = 48,
                                  const std::string& fallback = "run");
// "<yyyymmdd-hhmmss>-<method>-<model>" in local time.
std::string runFolderName(const RunConfig& config, std::chrono::system_clock::time_point startedAt);

// Creates a new run folder under runsRootFor(config) (suffix "-2", "-3", ... when the name is
// taken, claimed atomically), with checkpoints/, the resolved config.yaml (model and dataset paths
// that exist made absolute, output_dir set to the root, run_name defaulted to the folder name) and
// summary.json (status running). Returns the folder path; `resolved` receives the saved config.
std::string createRunFolder(const RunConfig& config, RunConfig* resolved = nullptr,
                            std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Renames a run: sets config.yaml's run_name (the display name; "" shows the folder name again),
// keeping every other key and the folder itself, which stays the run's id (core/src/runs/run_rename.cpp).
// Throws ps::Error for an unreadable config.yaml or a name with a line break.
void setRunDisplayName(const std::string& runDir, const std::string& name);

// Paths inside a run folder.
std::string runConfigPath(const std::string& runDir);
std::string runMetricsPath(const std::string& runDir);
std::string runLogPath(const std::string& runDir);
std::string runSummaryPath(const std::string& runDir);
std::string runCheckpointsDir(const std::string& runDir);
std::string runAdapterDir(const std::string& runDir);

// A folder with a config.yaml is a run.
bool isRunFolder(const std::string& dir);
// The run folders directly under `root`, sorted by name (oldest first for our naming).
std::vector<std::string> listRunFolders(const std::string& root);
// `run` is a path to a run folder, or a folder name / unique name prefix under `root`.
// Throws ps::Error naming what was tried.
std::string findRunFolder(const std::string& root, const std::string& run);

// ISO 8601 UTC with seconds, "2025-01-31T12:34:56Z".
std::string isoTimestampUtc(std::chrono::system_clock::time_point t);

} // namespace ps
