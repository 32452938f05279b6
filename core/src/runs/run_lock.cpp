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
std::string inUse(const std::string& runDir) {
    return runDir + ": the run is in use by another process (a training or resume of this run is still going); "
                    "wait for it to end or stop it first";
}
} // namespace

#ifdef _WIN32
RunLock::RunLock(const std::string& runDir) {
    const std::wstring path = std::filesystem::path(joinPath(runDir, ".lock")).wstring();
    // No sharing: a second open fails while this handle lives; the OS closes it with the process.
    handle_ = CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_ALWAYS,
                          FILE_ATTRIBUTE_HIDDEN, nullptr);
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
#else
RunLock::RunLock(const std::string& runDir) {
    const std::string path = joinPath(runDir, ".lock");
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw Error(path + ": cannot create the run's lock file (" + std::strerror(errno) + ")");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
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
#endif

} // namespace ps::runs
