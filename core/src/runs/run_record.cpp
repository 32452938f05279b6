// One run folder -> the RunRecord the catalog indexes. A folder with a damaged file still gives a
// record (with what could be read): one bad run must not hide the others from the list.
#include "ps/error.h"
#include "ps/run_catalog.h"
#include "runs/run_lock.h"
#include "util/file_util.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace ps {

RunStatus settledRunStatus(const std::string& runDir, RunStatus stored) {
    if (stored == RunStatus::Running && !runs::isRunLockHeld(runDir))
        return RunStatus::Failed;
    return stored;
}

RunRecord readRunRecord(const std::string& runDir) {
    RunRecord r;
    r.path = runDir;
    r.id = fileName(fs::path(runDir).lexically_normal().string());
    if (r.id.empty()) // "runs/x/" has an empty last component
        r.id = fs::path(runDir).parent_path().filename().string();
    r.name = r.id;
    try {
        const std::string path = runConfigPath(runDir);
        const RunConfig c = parseRunConfigYaml(readFile(path, 16u << 20), path);
        if (!c.run_name.empty())
            r.name = c.run_name;
        r.model = modelShortName(c.model_name_or_path);
        r.method = c.finetuning_type;
        r.dataset = fileName(c.dataset);
        r.rank = c.lora_rank;
        r.learningRate = c.learning_rate;
    } catch (const Error&) {
        // Keep the defaults: the folder is listed, its config problems show when it is opened.
    }
    try {
        const RunSummary s = readRunSummary(runDir);
        r.status = settledRunStatus(runDir, s.status);
        r.finalLoss = s.finalLoss;
        r.bestEvalLoss = s.bestEvalLoss;
        r.steps = s.steps;
        r.tokensPerSec = s.tokensPerSec;
        r.peakMemoryBytes = s.peakMemoryBytes;
        r.durationSec = s.durationSec;
        r.startedAt = s.startedAt;
    } catch (const Error&) {
        r.status = RunStatus::Failed; // no readable summary: the run never got going or was damaged
    }
    try {
        const RunAnnotations a = readRunAnnotations(runDir);
        r.tags = a.tags;
        r.notes = a.notes;
    } catch (const Error&) {
        // Unreadable notes.json: list the run without tags rather than not at all.
    }
    return r;
}

} // namespace ps
