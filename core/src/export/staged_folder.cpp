#include "export/staged_folder.h"

#include "ps/error.h"
#include "util/file_util.h"

#include <filesystem>
#include <system_error>

#ifdef _WIN32
#include <process.h>
#define PS_EXPORT_GETPID _getpid
#else
#include <unistd.h>
#define PS_EXPORT_GETPID getpid
#endif

namespace ps::exporting {
namespace fs = std::filesystem;

namespace {

bool isNonEmptyDir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec) && !fs::is_empty(p, ec);
}

std::string pidSuffix() {
    return "." + std::to_string(PS_EXPORT_GETPID());
}

} // namespace

StagedFolder::StagedFolder(const std::string& outDir, bool overwrite) {
    const fs::path out = fs::path(outDir).lexically_normal();
    if (out.empty() || out.filename().empty())
        throw Error("export: '" + outDir + "' is not a folder name");
    if (fs::exists(out) && !fs::is_directory(out))
        throw Error(outDir + ": exists and is not a folder");
    if (isNonEmptyDir(out) && !overwrite)
        throw Error(outDir + ": folder exists and is not empty (use --force to replace it)");
    out_ = out.string();
    staging_ = out_ + ".partial" + pidSuffix();
    std::error_code ec;
    removeTree(staging_, ec);
    fs::create_directories(staging_, ec);
    if (ec)
        throw Error(staging_ + ": cannot create folder (" + ec.message() + ")");
}

StagedFolder::~StagedFolder() {
    if (!committed_) {
        std::error_code ec;
        removeTree(staging_, ec); // best effort: nothing to report from a destructor
    }
}

std::string StagedFolder::file(const std::string& name) const {
    return joinPath(staging_, name);
}

void StagedFolder::commit() {
    try {
        std::error_code ec;
        if (fs::exists(out_)) {
            // The old folder is moved aside first so that a failure leaves one of the two whole.
            const std::string old = out_ + ".old" + pidSuffix();
            removeTree(old, ec);
            fs::rename(out_, old);
            fs::rename(staging_, out_);
            removeTree(old, ec);
        } else {
            const fs::path parent = fs::path(out_).parent_path();
            if (!parent.empty())
                fs::create_directories(parent);
            fs::rename(staging_, out_);
        }
        committed_ = true;
    } catch (const fs::filesystem_error& e) {
        throw Error(out_ + ": cannot move the export into place (" + e.what() + ")");
    }
}

} // namespace ps::exporting
