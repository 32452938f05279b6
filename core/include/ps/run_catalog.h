#pragma once
// RunCatalog — a SQLite index (<runs root>/catalog.sqlite) of the run folders under one root,
// for fast listing, sorting and comparison (torch-free).
//
// The folders are the truth; the catalog is a cache of them. Opening it brings it up to date
// (new folders added, changed ones re-read by their files' modification times, vanished ones
// dropped). A missing, unreadable or corrupt catalog file is rebuilt from the folders (into a
// temporary file renamed into place); where the root is read-only the index lives in memory.
// One RunCatalog per thread; several processes may share a root (SQLite locking).
#include "ps/runs.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ps {

struct RunRecord {
    std::string id;   // the folder name
    std::string path; // the folder
    std::string name; // run_name, else the folder name
    std::string model;
    std::string method; // finetuning_type
    std::string dataset;
    std::int64_t rank = 0;
    double learningRate = 0.0;
    RunStatus status = RunStatus::Running;
    std::optional<double> finalLoss;
    std::optional<double> bestEvalLoss;
    std::int64_t steps = 0;
    double tokensPerSec = 0.0;
    std::uint64_t peakMemoryBytes = 0;
    double durationSec = 0.0;
    std::string startedAt; // ISO 8601 UTC
    std::vector<std::string> tags;
    std::string notes;
};

class RunCatalog final {
public:
    // Opens (creating the root and the catalog if needed) and synchronises with the folders.
    explicit RunCatalog(const std::string& runsRoot);
    ~RunCatalog();
    RunCatalog(const RunCatalog&) = delete;
    RunCatalog& operator=(const RunCatalog&) = delete;

    const std::string& root() const;
    std::string databasePath() const;
    // True when opening found the catalog missing or corrupt and rebuilt it.
    bool wasRebuilt() const;

    // Newest first (by start time, then folder name).
    std::vector<RunRecord> list() const;
    std::optional<RunRecord> find(const std::string& id) const;

    // Re-reads the folders (cheap when nothing changed).
    void sync();
    // Re-reads one run folder (e.g. after the trainer updated summary.json).
    void refresh(const std::string& runDir);
    // Drops the index and rebuilds it from the folders.
    void rebuild();

    // Tags and notes live in the run folder's notes.json (so a rebuild keeps them) and here.
    void setTags(const std::string& id, const std::vector<std::string>& tags);
    void setNotes(const std::string& id, const std::string& notes);

    static constexpr const char* kFileName = "catalog.sqlite";

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Reads one run folder into a record (what the catalog stores), without the catalog.
RunRecord readRunRecord(const std::string& runDir);

// A stored status as it really is now: "running" while no process holds the run's lock means
// the training process was killed or crashed, and the run is reported as failed (resume
// continues it from its last checkpoint). Other statuses are returned unchanged. The catalog
// applies this on every list() / find(), since a process can die without touching the folder.
RunStatus settledRunStatus(const std::string& runDir, RunStatus stored);

} // namespace ps
