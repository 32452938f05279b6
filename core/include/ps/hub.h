#pragma once
// Hugging Face cache discovery — torch-free, public.
//
// Finds the models a user already has: the Hugging Face hub cache
// (<cache>/models--org--name/snapshots/<revision>/..., refs/main naming the revision; snapshot
// files are links into blobs/) plus folders the user opened before. Each model comes with what
// a model list shows (id, revision, architecture, parameter count, size on disk). Discovery
// never throws: a model that cannot be used is listed with `broken` set and the reason in
// plain words, so the user sees why it is not offered rather than wondering where it went.
#include <cstdint>
#include <string>
#include <vector>

namespace ps {

struct HubModel {
    std::string id;           // "org/name" for the cache; the folder name for a user folder
    std::string revision;     // snapshot commit hash; empty for a user folder
    std::string path;         // the folder to load (the snapshot folder for the cache)
    std::string architecture; // config.json architectures[0], when readable
    std::string modelType;    // config.json model_type, when readable
    std::int64_t numParameters = 0;
    std::uint64_t sizeBytes = 0; // bytes on disk; each blob counted once
    bool fromCache = false;      // true: found in the hub cache; false: a user folder
    bool broken = false;
    std::string reason; // why it is broken (empty otherwise)
};

// Where the hub cache is and which setting chose it.
struct HubCacheLocation {
    std::string path;
    std::string source; // "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME" or "home"
};

// huggingface_hub's precedence: HF_HUB_CACHE, then the legacy HUGGINGFACE_HUB_CACHE, then
// HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub, then <home>/.cache/huggingface/hub
// (home is USERPROFILE on Windows, HOME elsewhere). Empty variables count as unset; a leading
// "~" is expanded. The folder need not exist.
HubCacheLocation huggingFaceCacheLocation();

struct HubScanOptions {
    bool scanCache = true;
    std::string cacheDir;             // empty: huggingFaceCacheLocation().path
    std::vector<std::string> folders; // user folders (the recent-folders list), listed after the cache
};

// Cache models sorted by id, then the user folders in the order given. A folder that is also a
// cache snapshot already listed is not repeated. A missing cache folder gives no entries.
std::vector<HubModel> discoverModels(const HubScanOptions& options);

// Describes one model folder (never throws; problems become broken + reason).
HubModel describeModelFolder(const std::string& dir);

// JSON array; each element has the keys id, revision, path, architecture, model_type,
// num_parameters, size_bytes, broken, reason.
std::string hubModelsToJson(const std::vector<HubModel>& models, int indent = 2);

} // namespace ps
