// models: the models this machine already has (Hugging Face cache + folders given).
#include "cli_args.h"
#include "commands.h"

#include "ps/error.h"
#include "ps/hub.h"
#include "ps/human_format.h"

#include <algorithm>
#include <iostream>

namespace ps::cli {
namespace {

std::string padded(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

void printTable(const HubCacheLocation& cache, const std::vector<HubModel>& models) {
    std::cout << "Hugging Face cache: " << cache.path << (cache.source == "home" ? "" : " (from " + cache.source + ")")
              << "\n\n";
    if (models.empty()) {
        std::cout << "No models found. Download one (hf download HuggingFaceTB/SmolLM-135M) or pass --folder DIR.\n";
        return;
    }
    struct Row {
        std::string id, revision, architecture, params, size, status;
    };
    std::vector<Row> rows;
    rows.push_back({"ID", "REVISION", "ARCHITECTURE", "PARAMS", "SIZE", "STATUS"});
    for (const HubModel& m : models) {
        Row r;
        r.id = m.id;
        r.revision = m.fromCache ? m.revision.substr(0, 12) : "(folder)";
        r.architecture = m.architecture.empty() ? "-" : m.architecture;
        r.params = m.numParameters > 0 ? formatParameterCount(m.numParameters) : "-";
        r.size = formatByteSize(m.sizeBytes);
        r.status = m.broken ? "broken: " + m.reason : (m.fromCache ? "ok" : "ok  " + m.path);
        rows.push_back(std::move(r));
    }
    std::size_t w[5] = {0, 0, 0, 0, 0};
    for (const Row& r : rows) {
        w[0] = std::max(w[0], r.id.size());
        w[1] = std::max(w[1], r.revision.size());
        w[2] = std::max(w[2], r.architecture.size());
        w[3] = std::max(w[3], r.params.size());
        w[4] = std::max(w[4], r.size.size());
    }
    for (const Row& r : rows)
        std::cout << padded(r.id, w[0]) << "  " << padded(r.revision, w[1]) << "  " << padded(r.architecture, w[2])
                  << "  " << std::string(w[3] - r.params.size(), ' ') << r.params << "  "
                  << std::string(w[4] - r.size.size(), ' ') << r.size << "  " << r.status << "\n";
}

int runModels(const Args& args) {
    CliArgs a(args, {"folder"}, {"json", "no-cache"}, {"folder"});
    if (!a.positionals().empty())
        throw Error("unexpected argument '" + a.positionals().front() + "' (use --folder DIR)");
    HubScanOptions options;
    options.scanCache = !a.flag("no-cache");
    const HubCacheLocation cache = huggingFaceCacheLocation();
    options.cacheDir = cache.path;
    options.folders = a.values("folder");
    const std::vector<HubModel> models = discoverModels(options);
    if (a.flag("json"))
        std::cout << hubModelsToJson(models) << "\n";
    else
        printTable(cache, models);
    return 0;
}

const CommandRegistration reg{{"models", "models [--json] [--folder DIR ...] [--no-cache]",
                               "List the models in the Hugging Face cache and the given folders, broken ones with "
                               "the reason.",
                               &runModels}};

} // namespace
} // namespace ps::cli
