#include "runs/run_lock.h"

#include "ps/error.h"
#include "util/file_util.h"

#include <cerrno>
#include <cstring>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <filesystem>
#else
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#endif

namespace ps::runs {

namespace {
constexpr int kLockAttempts = 20; // x 5 ms: a probe (isRunLockHeld) holds the lock for microseconds
std::string inUse(const std::string& runDir) {
    return runDir + ": the run is in use by another process (a training or resume of this run is still going); "
                    "wait for it to end or stop it first";
}
} // namespace

#ifdef _WIN32
RunLock::RunLock(const std::string& runDir) {
    const std::wstring path = std::filesystem::path(joinPath(runDir, ".lock")).wstring();
    // No sharing: a second open fails while this handle lives; the OS closes it with the process.
    for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
        handle_ = CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_ALWAYS,
                              FILE_ATTRIBUTE_HIDDEN, nullptr);
        if (handle_ != INVALID_HANDLE_VALUE || GetLastError() != ERROR_SHARING_VIOLATION)
            break;
        Sleep(5);
    }
    if (handle_ == INVALID_HANDLE_VALUE) {
        handle_ = nullptr;
        if (GetLastError() == ERROR_SHARING_VIOLATION)
            throw Error(inUse(runDir));
        throw Error(joinPath(runDir, ".lock") + ": cannot create the run's lock file");
    }
}
RunLock::~RunLock() {
    if (handle_)
        CloseHandle(handle_);
}
bool isRunLockHeld(const std::string& runDir) {
    const std::wstring path = std::filesystem::path(joinPath(runDir, ".lock")).wstring();
    HANDLE h = CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                           nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE)
        return GetLastError() == ERROR_SHARING_VIOLATION; // missing file: nobody holds it
    CloseHandle(h);
    return false;
}
#else
RunLock::RunLock(const std::string& runDir) {
    const std::string path = joinPath(runDir, ".lock");
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw Error(path + ": cannot create the run's lock file (" + std::strerror(errno) + ")");
    int rc = ::flock(fd_, LOCK_EX | LOCK_NB);
    for (int attempt = 1; rc != 0 && errno == EWOULDBLOCK && attempt < kLockAttempts; ++attempt) {
        ::usleep(5000);
        rc = ::flock(fd_, LOCK_EX | LOCK_NB);
    }
    if (rc != 0) {
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK)
            throw Error(inUse(runDir));
        throw Error(path + ": cannot lock the run (" + std::strerror(err) + ")");
    }
}
RunLock::~RunLock() {
    if (fd_ >= 0)
        ::close(fd_); // releases the lock; the empty file stays (removing it would race a new holder)
}
bool isRunLockHeld(const std::string& runDir) {
    const int fd = ::open(joinPath(runDir, ".lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false; // no lock file: no process has trained this folder since it had one
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd); // drops the shared lock if it was taken
    return held;
}
#endif

} // namespace ps::runs
