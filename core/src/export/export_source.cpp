// resolveExportSource: a run folder, a run's adapter/ folder or a plain PEFT adapter folder.
#include "ps/error.h"
#include "ps/export.h"
#include "ps/run_config.h"
#include "ps/runs.h"
#include "util/file_util.h"

#include <filesystem>

namespace ps {
namespace {

namespace fs = std::filesystem;

bool isAdapterFolder(const std::string& dir) {
    return isRegularFile(joinPath(dir, "adapter_config.json")) || isRegularFile(joinPath(dir, "config.json"));
}

std::string normalized(const std::string& path) {
    fs::path p = fs::path(path).lexically_normal();
    if (p.filename().empty() && p.has_parent_path())
        p = p.parent_path(); // "dir/" -> "dir"
    return p.string();
}

void fillFromRun(ExportSource& src) {
    src.name = fileName(src.runDir);
    try {
        const RunConfig config = parseRunConfigYaml(readFile(runConfigPath(src.runDir)), runConfigPath(src.runDir));
        if (!config.run_name.empty())
            src.name = config.run_name;
        src.baseHint = config.model_name_or_path;
    } catch (const Error&) {
        // A run whose config no longer parses still has an adapter worth exporting; the model
        // card then says less and --base is required.
    }
}

} // namespace

ExportSource resolveExportSource(const std::string& path) {
    const std::string p = normalized(path);
    if (!isDirectory(p))
        throw Error(path + ": not found (expected a run folder or a PEFT adapter folder)");
    ExportSource src;
    if (isRunFolder(p)) {
        src.runDir = p;
        src.adapterDir = runAdapterDir(p);
        if (!isAdapterFolder(src.adapterDir))
            throw Error(path + ": the run has no adapter yet (" + src.adapterDir +
                        " is missing; the run saves it when training ends)");
        fillFromRun(src);
        return src;
    }
    if (!isAdapterFolder(p))
        throw Error(path + ": not a run folder (no config.yaml) nor a PEFT adapter folder (no adapter_config.json)");
    src.adapterDir = p;
    src.name = fileName(p);
    const fs::path parent = fs::path(p).parent_path();
    if (fileName(p) == "adapter" && !parent.empty() && isRunFolder(parent.string())) {
        src.runDir = parent.string();
        fillFromRun(src);
    }
    return src;
}

} // namespace ps
