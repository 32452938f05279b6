// Renaming a run changes its display name (config.yaml's run_name), never its folder: the folder
// name is the run's id in the catalog, in checkpoints' resume paths and in the user's scripts, so
// moving it would break every one of those links for a cosmetic change.
#include "ps/error.h"
#include "ps/runs.h"
#include "util/file_util.h"

#include <algorithm>
#include <cctype>

namespace ps {

void setRunDisplayName(const std::string& runDir, const std::string& name) {
    const std::string path = runConfigPath(runDir);
    // Parsed without validation: a run whose config no longer validates (an option removed in a
    // later version, a moved dataset) can still be renamed; every other key is written back as read.
    RunConfig config = parseRunConfigYaml(readFile(path, 16u << 20), path);
    std::string trimmed = name;
    const auto notSpace = [](unsigned char ch) { return !std::isspace(ch); };
    trimmed.erase(trimmed.begin(), std::find_if(trimmed.begin(), trimmed.end(), notSpace));
    trimmed.erase(std::find_if(trimmed.rbegin(), trimmed.rend(), notSpace).base(), trimmed.end());
    if (trimmed.find('\n') != std::string::npos || trimmed.find('\r') != std::string::npos)
        throw Error(path + ": a run name is one line of text");
    config.run_name = trimmed; // empty: the folder name is shown again
    saveRunConfig(config, path);
}

} // namespace ps
