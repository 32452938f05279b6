// discoverModels: the hub cache (models--org--name/snapshots/<rev>, refs/main) + user folders.
#include "ps/hub.h"

#include "hub/platform_paths.h"
#include "util/file_util.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

namespace fs = std::filesystem;

namespace ps {
namespace {

const std::string kModelPrefix = "models--";

// "models--HuggingFaceTB--SmolLM-135M" -> "HuggingFaceTB/SmolLM-135M" (huggingface_hub joins
// the repo id's parts with "--"; "models--gpt2" is a repo without an organisation).
std::string repoIdFromFolderName(const std::string& folder) {
    std::string rest = folder.substr(kModelPrefix.size());
    std::string id;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest.compare(i, 2, "--") == 0) {
            id += '/';
            ++i;
        } else {
            id += rest[i];
        }
    }
    return id;
}

std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

std::string canonicalKey(const std::string& dir) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(platform::toPath(dir), ec);
    return platform::fromPath(ec ? platform::toPath(dir).lexically_normal() : canonical);
}

HubModel describeSnapshot(const std::string& id, const std::string& revision, const fs::path& snapshot) {
    HubModel m = describeModelFolder(platform::fromPath(snapshot));
    m.id = id;
    m.revision = revision;
    m.fromCache = true;
    return m;
}

// One cache repository folder: the revision refs/main names, or (without refs/main) every
// snapshot there is, as `hf download --revision <hash>` leaves them.
void describeRepo(const fs::path& repo, const std::string& id, std::vector<HubModel>& out) {
    const fs::path snapshots = repo / "snapshots";
    const fs::path mainRef = repo / "refs" / "main";
    std::error_code ec;
    if (fs::is_regular_file(mainRef, ec)) {
        std::string revision;
        try {
            revision = trimmed(readFile(platform::fromPath(mainRef), 4096));
        } catch (const std::exception& e) {
            HubModel m;
            m.id = id;
            m.path = platform::fromPath(repo);
            m.fromCache = true;
            m.broken = true;
            m.reason = e.what();
            out.push_back(std::move(m));
            return;
        }
        const fs::path snapshot = snapshots / platform::toPath(revision);
        if (revision.empty() || revision.find_first_of("/\\") != std::string::npos || !fs::is_directory(snapshot, ec)) {
            HubModel m;
            m.id = id;
            m.revision = revision;
            m.path = platform::fromPath(snapshot);
            m.fromCache = true;
            m.broken = true;
            m.reason = revision.empty() ? "refs/main is empty"
                                        : "refs/main names revision " + revision +
                                              ", which is not in snapshots/ (incomplete download)";
            out.push_back(std::move(m));
            return;
        }
        out.push_back(describeSnapshot(id, revision, snapshot));
        return;
    }

    std::vector<std::string> revisions;
    fs::directory_iterator it(snapshots, ec);
    for (const fs::directory_iterator end; !ec && it != end; it.increment(ec))
        if (std::error_code dec; it->is_directory(dec))
            revisions.push_back(platform::fromPath(it->path().filename()));
    std::sort(revisions.begin(), revisions.end());
    if (revisions.empty()) {
        HubModel m;
        m.id = id;
        m.path = platform::fromPath(repo);
        m.fromCache = true;
        m.broken = true;
        m.reason = "no snapshots (the download did not finish)";
        out.push_back(std::move(m));
        return;
    }
    for (const std::string& revision : revisions)
        out.push_back(describeSnapshot(id, revision, snapshots / platform::toPath(revision)));
}

std::vector<HubModel> scanCache(const std::string& cacheDir) {
    std::vector<HubModel> out;
    std::error_code ec;
    const fs::path cache = platform::toPath(cacheDir);
    std::vector<std::pair<std::string, fs::path>> repos;
    fs::directory_iterator it(cache, ec);
    for (const fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
        const std::string name = platform::fromPath(it->path().filename());
        std::error_code dec;
        // datasets--* and spaces--* live here too; only models are offered.
        if (name.compare(0, kModelPrefix.size(), kModelPrefix) == 0 && name.size() > kModelPrefix.size() &&
            it->is_directory(dec))
            repos.emplace_back(repoIdFromFolderName(name), it->path());
    }
    std::sort(repos.begin(), repos.end());
    for (const auto& [id, path] : repos)
        describeRepo(path, id, out);
    return out;
}

// A user folder inside a cache snapshot gets the repo id and revision a cache entry would have.
void nameFromCacheLayout(HubModel& m) {
    const fs::path path = platform::toPath(m.path).lexically_normal();
    fs::path dir = path.filename().empty() ? path.parent_path() : path;
    const fs::path parent = dir.parent_path();
    if (platform::fromPath(parent.filename()) != "snapshots")
        return;
    const std::string repo = platform::fromPath(parent.parent_path().filename());
    if (repo.compare(0, kModelPrefix.size(), kModelPrefix) != 0 || repo.size() <= kModelPrefix.size())
        return;
    m.id = repoIdFromFolderName(repo);
    m.revision = platform::fromPath(dir.filename());
}

} // namespace

std::vector<HubModel> discoverModels(const HubScanOptions& options) {
    std::vector<HubModel> out;
    if (options.scanCache)
        out = scanCache(options.cacheDir.empty() ? huggingFaceCacheLocation().path : options.cacheDir);

    std::set<std::string> seen;
    for (const HubModel& m : out)
        seen.insert(canonicalKey(m.path));
    for (const std::string& folder : options.folders) {
        if (folder.empty() || !seen.insert(canonicalKey(folder)).second)
            continue;
        HubModel m = describeModelFolder(folder);
        nameFromCacheLayout(m);
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace ps
