// moveToTrash (ps/trash.h) for freedesktop.org systems: the Trash specification 1.0,
// https://specifications.freedesktop.org/trash-spec/1.0/ — what GNOME Files, Dolphin and
// `gio trash` read, so a trashed run can be restored from the file manager.
#ifndef _WIN32

#include "ps/trash.h"
#include "util/freedesktop_trash.h"

#include "ps/error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ps {
namespace trash {

std::string percentEncodePath(const std::string& path) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(path.size());
    for (const char ch : path) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string percentDecode(const std::string& text) {
    auto digit = [&text](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        throw Error("trash info path '" + text + "': bad percent escape");
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size())
            throw Error("trash info path '" + text + "': truncated percent escape");
        out += static_cast<char>(digit(text[i + 1]) * 16 + digit(text[i + 2]));
        i += 2;
    }
    return out;
}

std::string trashInfoText(const std::string& originalPath, std::time_t deletionTime) {
    std::tm local{};
    localtime_r(&deletionTime, &local);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
    return "[Trash Info]\nPath=" + percentEncodePath(originalPath) + "\nDeletionDate=" + date + "\n";
}

std::string homeTrashDir() {
    // XDG base directories must be absolute; a relative value is ignored, as the spec says.
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && xdg[0] == '/')
        return (fs::path(xdg) / "Trash").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (fs::path(home) / ".local" / "share" / "Trash").string();
    return "";
}

std::string candidateName(const std::string& name, int n) {
    if (n <= 1)
        return name;
    const fs::path p(name);
    const std::string ext = p.extension().string(); // "" for "notes", ".txt" for "notes.txt"
    const std::string stem = name.substr(0, name.size() - ext.size());
    return stem + "." + std::to_string(n) + ext;
}

} // namespace trash

namespace {

using trash::candidateName;

std::string errnoText() {
    return std::strerror(errno);
}

// A trash folder: <dir>/files and <dir>/info; `topdir` is set for a per-file-system trash, whose
// Path= entries are relative to it.
struct TrashLocation {
    fs::path dir;
    fs::path topdir;
};

bool statPath(const fs::path& p, struct stat& st) {
    return ::stat(p.c_str(), &st) == 0;
}

// mkdir with the spec's 0700; true when `dir` is (now) a directory we can use.
bool makePrivateDir(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return false;
    struct stat st {};
    return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ::access(dir.c_str(), W_OK | X_OK) == 0;
}

bool prepareTrash(const fs::path& dir) {
    return makePrivateDir(dir) && makePrivateDir(dir / "files") && makePrivateDir(dir / "info");
}

// The mount point holding `dir` (a canonical folder on device `dev`): the last ancestor on `dev`.
fs::path mountTopdir(fs::path dir, dev_t dev) {
    while (dir.has_parent_path() && dir.parent_path() != dir) {
        struct stat st {};
        if (!statPath(dir.parent_path(), st) || st.st_dev != dev)
            break;
        dir = dir.parent_path();
    }
    return dir;
}

TrashLocation chooseTrash(const fs::path& item, dev_t itemDevice) {
    const std::string home = trash::homeTrashDir();
    if (!home.empty()) {
        // The home trash (or, before its first use, its nearest existing ancestor) must be on the
        // item's file system: the move is a rename, never a copy.
        fs::path probe(home);
        struct stat st {};
        bool found = statPath(probe, st);
        while (!found && probe.has_parent_path() && probe.parent_path() != probe) {
            probe = probe.parent_path();
            found = statPath(probe, st);
        }
        if (found && st.st_dev == itemDevice) {
            std::error_code ec;
            fs::create_directories(fs::path(home).parent_path(), ec);
            if (!prepareTrash(home))
                throw Error(item.string() + ": cannot move to the trash: cannot create " + home + " (" + errnoText() +
                            ")");
            return {fs::path(home), {}};
        }
    }
    const fs::path top = mountTopdir(item.parent_path(), itemDevice);
    const std::string uid = std::to_string(::getuid());
    // $topdir/.Trash shared by all users: only when the administrator made it a real (not
    // symlinked) folder with the sticky bit, as the spec requires; else $topdir/.Trash-$uid.
    struct stat shared {};
    if (::lstat((top / ".Trash").c_str(), &shared) == 0 && S_ISDIR(shared.st_mode) && (shared.st_mode & S_ISVTX) &&
        prepareTrash(top / ".Trash" / uid))
        return {top / ".Trash" / uid, top};
    if (prepareTrash(top / (".Trash-" + uid)))
        return {top / (".Trash-" + uid), top};
    throw Error(item.string() + ": cannot move to the trash: the home trash is on another file system and " +
                top.string() + " has no usable trash folder");
}

// Writes `text` to `target` only if no such file exists, complete or not at all: the content goes
// to a temporary file that is hard-linked to the target name (link() fails when the name is
// taken, which is how the spec's writers claim a name). File systems without hard links fall back
// to O_EXCL. Returns false when the name is taken.
bool writeNewFile(const fs::path& target, const std::string& text) {
    std::string temp = (target.parent_path() / ".trashinfo-XXXXXX").string();
    const int fd = ::mkstemp(temp.data());
    if (fd < 0)
        throw Error(target.string() + ": cannot create a temporary file (" + errnoText() + ")");
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    const int writeErrno = errno;
    ::close(fd);
    if (!written) {
        ::unlink(temp.c_str());
        throw Error(target.string() + ": write failed (" + std::strerror(writeErrno) + ")");
    }
    const int linked = ::link(temp.c_str(), target.c_str());
    const int linkErrno = errno;
    ::unlink(temp.c_str());
    if (linked == 0)
        return true;
    if (linkErrno == EEXIST)
        return false;
    if (linkErrno != EPERM && linkErrno != ENOTSUP && linkErrno != EOPNOTSUPP && linkErrno != EMLINK)
        throw Error(target.string() + ": cannot create (" + std::strerror(linkErrno) + ")");
    const int direct = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (direct < 0) {
        if (errno == EEXIST)
            return false;
        throw Error(target.string() + ": cannot create (" + errnoText() + ")");
    }
    const bool ok =
        ::write(direct, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(direct) == 0;
    ::close(direct);
    if (!ok) {
        ::unlink(target.c_str());
        throw Error(target.string() + ": write failed");
    }
    return true;
}

} // namespace

std::string moveToTrash(const std::string& path) {
    if (path.empty())
        throw Error("cannot move to the trash: empty path");
    // The last component must name the item itself, checked before normalising: "x/.." or "."
    // would otherwise normalise to a parent folder and trash far more than was asked.
    fs::path given(path);
    if (!given.has_filename() && given.has_relative_path())
        given = given.parent_path(); // "runs/x/" names the folder x
    const std::string name = given.filename().string();
    if (name.empty() || name == "." || name == "..")
        throw Error(path + ": cannot move to the trash: not a file or folder name");
    const fs::path abs = fs::absolute(given).lexically_normal();

    struct stat st {};
    if (::lstat(abs.c_str(), &st) != 0)
        throw Error(path + ": cannot move to the trash (" + errnoText() + ")");
    // The item itself is not resolved (a symbolic link is trashed as a link); its folder is, so
    // that the mount point and the recorded original location are real.
    std::error_code ec;
    const fs::path parent = fs::canonical(abs.parent_path(), ec);
    if (ec)
        throw Error(path + ": cannot move to the trash (" + ec.message() + ")");
    const fs::path item = parent / name;

    const TrashLocation trash = chooseTrash(item, st.st_dev);
    const std::string recorded = trash.topdir.empty() ? item.string() : item.lexically_relative(trash.topdir).string();
    const std::string info = trash::trashInfoText(recorded, std::time(nullptr));

    for (int n = 1; n <= 100000; ++n) {
        const std::string candidate = candidateName(name, n);
        const fs::path destination = trash.dir / "files" / candidate;
        struct stat taken {};
        if (::lstat(destination.c_str(), &taken) == 0)
            continue; // left by a tool that did not write an info file: keep it
        const fs::path infoFile = trash.dir / "info" / (candidate + ".trashinfo");
        if (!writeNewFile(infoFile, info))
            continue;
        if (::rename(item.c_str(), destination.c_str()) != 0) {
            const std::string reason = errnoText();
            ::unlink(infoFile.c_str());
            throw Error(path + ": cannot move to the trash " + trash.dir.string() + " (" + reason + ")");
        }
        return destination.string();
    }
    throw Error(path + ": cannot move to the trash: no free name in " + trash.dir.string());
}

} // namespace ps

#endif // !_WIN32
