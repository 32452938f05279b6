#include "hub/model_folder.h"

#include "hub/platform_paths.h"

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace ps::hub {
namespace {

// Model folders are flat or one level deep (onnx/, original/); a user folder that is really a
// whole projects tree should not make the scan walk the disk.
constexpr int kMaxDepth = 3;

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Scanner {
    FolderContents out;
    std::set<std::string> counted; // canonical targets already added to the size

    void addFile(const fs::path& target) {
        std::error_code ec;
        const fs::path canonical = fs::canonical(target, ec);
        const std::string key = platform::fromPath(ec ? target : canonical);
        if (!counted.insert(key).second)
            return;
        const auto size = fs::file_size(target, ec);
        if (!ec)
            out.sizeBytes += size;
    }

    void noteName(const std::string& name, int depth) {
        if (depth == 0 && name == "config.json")
            out.hasConfig = true;
        if (endsWith(name, ".safetensors"))
            out.hasSafetensors = true;
        if (endsWith(name, ".bin") || endsWith(name, ".pt") || endsWith(name, ".pth"))
            out.hasPickleWeights = true;
    }

    void walk(const fs::path& dir, const std::string& prefix, int depth) {
        std::error_code ec;
        fs::directory_iterator it(dir, ec);
        if (ec) {
            if (depth == 0)
                out.readError = ec.message();
            return;
        }
        for (const fs::directory_iterator end; it != end; it.increment(ec)) {
            if (ec)
                break;
            const fs::path path = it->path();
            const std::string name = platform::fromPath(path.filename());
            const std::string relative = prefix.empty() ? name : prefix + "/" + name;
            std::error_code sec;
            const fs::file_status linkStatus = fs::symlink_status(path, sec);
            if (sec)
                continue;
            if (fs::is_symlink(linkStatus)) {
                const fs::file_status target = fs::status(path, sec);
                if (sec || !fs::exists(target)) {
                    out.danglingLinks.push_back(relative);
                    noteName(name, depth);
                } else if (fs::is_regular_file(target)) {
                    noteName(name, depth);
                    addFile(path);
                }
                continue;
            }
            if (fs::is_directory(linkStatus)) {
                if (depth + 1 < kMaxDepth)
                    walk(path, relative, depth + 1);
            } else if (fs::is_regular_file(linkStatus)) {
                noteName(name, depth);
                addFile(path);
            }
        }
    }
};

} // namespace

FolderContents scanFolder(const std::string& dir) {
    Scanner scanner;
    scanner.walk(platform::toPath(dir), "", 0);
    return scanner.out;
}

} // namespace ps::hub
