// describeModelFolder: one folder -> one HubModel, every problem turned into a plain reason.
#include "ps/hub.h"

#include "hub/model_folder.h"
#include "hub/platform_paths.h"
#include "ps/error.h"
#include "ps/model_info.h"
#include "util/json_util.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace ps {
namespace {

std::string joined(const std::vector<std::string>& items, std::size_t maxItems) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < maxItems; ++i)
        out += (i ? ", " : "") + items[i];
    if (items.size() > maxItems)
        out += ", ...";
    return out;
}

// Reads model_type and architectures[0] so that even a broken entry says what it is.
// Returns an error message, or empty on success.
std::string readConfigSummary(const std::string& configPath, HubModel& m) {
    try {
        const Json config = parseJsonFile(configPath, 16ull << 20);
        if (!config.is_object())
            return configPath + ": expected a JSON object, found " + jsonTypeName(config);
        m.modelType = jsonString(config, "model_type", "", configPath);
        auto arch = config.find("architectures");
        if (arch != config.end() && arch->is_array() && !arch->empty() && arch->front().is_string())
            m.architecture = arch->front().get<std::string>();
        return {};
    } catch (const std::exception& e) {
        return e.what();
    }
}

HubModel broken(HubModel m, std::string reason) {
    m.broken = true;
    m.reason = std::move(reason);
    return m;
}

} // namespace

HubModel describeModelFolder(const std::string& dir) {
    HubModel m;
    m.path = dir;
    const fs::path path = platform::toPath(dir);
    m.id = platform::fromPath(path.filename().empty() ? path.parent_path().filename() : path.filename());

    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found)
        return broken(m, "folder " + dir + " does not exist");
    if (ec)
        return broken(m, "cannot read " + dir + " (" + ec.message() + ")");
    if (!fs::is_directory(status))
        return broken(m, dir + " is not a folder");

    const hub::FolderContents contents = hub::scanFolder(dir);
    m.sizeBytes = contents.sizeBytes;
    if (!contents.readError.empty())
        return broken(m, "cannot read " + dir + " (" + contents.readError + ")");
    if (!contents.hasConfig)
        return broken(m, "no config.json (this is not a Hugging Face model folder)");

    const bool configDangling = std::find(contents.danglingLinks.begin(), contents.danglingLinks.end(),
                                          "config.json") != contents.danglingLinks.end();
    if (configDangling)
        return broken(m, "config.json links to a missing blob (incomplete download)");

    const std::string configPath = platform::fromPath(path / "config.json");
    if (std::string error = readConfigSummary(configPath, m); !error.empty())
        return broken(m, error);
    if (m.modelType.empty())
        return broken(m, "config.json has no model_type");

    const std::vector<std::string> supported = supportedModelTypes();
    if (std::find(supported.begin(), supported.end(), m.modelType) == supported.end())
        return broken(m,
                      "model_type '" + m.modelType + "' is not supported (supported: " + joined(supported, 99) + ")");
    if (!contents.danglingLinks.empty())
        return broken(m,
                      std::to_string(contents.danglingLinks.size()) +
                          " file(s) link to missing blobs (incomplete download): " + joined(contents.danglingLinks, 3));
    if (!contents.hasSafetensors)
        return broken(m, contents.hasPickleWeights
                             ? "no .safetensors weights, only PyTorch .bin/.pt files (convert them to safetensors)"
                             : "no .safetensors weights");

    try {
        const ModelInfo info = inspectModel(dir);
        m.numParameters = info.numParameters;
        if (!info.architecture.empty())
            m.architecture = info.architecture;
    } catch (const std::exception& e) {
        return broken(m, e.what());
    }
    return m;
}

} // namespace ps
