#include "util/file_util.h"

#include "ps/error.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#ifdef _WIN32
#include <io.h>
#else
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace fs = std::filesystem;

namespace ps {
namespace {

std::atomic<std::int64_t> gFailAfterBytes{0};
std::atomic<std::int64_t> gBytesWritten{0};

std::string tempNameFor(const fs::path& target) {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    return target.string() + ".tmp-" + std::to_string(rd() % 100000) + "-" + std::to_string(counter++);
}

class TempFile final {
public:
    explicit TempFile(const fs::path& target) : target_(target), temp_(tempNameFor(target)) {
        std::error_code ec;
        if (target_.has_parent_path())
            fs::create_directories(target_.parent_path(), ec);
        file_ = std::fopen(temp_.c_str(), "wb");
        if (!file_)
            throw Error(target_.string() + ": cannot create temporary file (" + std::strerror(errno) + ")");
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (file_)
            std::fclose(file_);
        if (!committed_) {
            std::error_code ec;
            fs::remove(temp_, ec);
            gBytesWritten -= written_; // the simulated disk gets the space back, as a real one would
        }
    }

    void write(const void* data, std::size_t size) {
        if (size == 0)
            return;
        const std::int64_t limit = gFailAfterBytes.load();
        if (limit > 0) {
            written_ += static_cast<std::int64_t>(size);
            if (gBytesWritten.fetch_add(static_cast<std::int64_t>(size)) + static_cast<std::int64_t>(size) > limit)
                throw Error(target_.string() + ": write failed (No space left on device)");
        }
        if (std::fwrite(data, 1, size, file_) != size)
            throw Error(target_.string() + ": write failed (" + std::strerror(errno) + ")");
    }

    void commit() {
        if (std::fflush(file_) != 0)
            throw Error(target_.string() + ": write failed (" + std::strerror(errno) + ")");
#ifndef _WIN32
        ::fsync(fileno(file_));
#endif
        if (std::fclose(file_) != 0) {
            file_ = nullptr;
            throw Error(target_.string() + ": write failed (" + std::strerror(errno) + ")");
        }
        file_ = nullptr;
        std::error_code ec;
        fs::rename(temp_, target_, ec);
        if (ec)
            throw Error(target_.string() + ": cannot move temporary file into place (" + ec.message() + ")");
        committed_ = true;
#ifndef _WIN32
        // Make the rename durable: fsync the directory.
        const fs::path dir = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
        int fd = ::open(dir.c_str(), O_RDONLY);
        if (fd >= 0) {
            ::fsync(fd);
            ::close(fd);
        }
#endif
    }

private:
    fs::path target_;
    std::string temp_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
    std::int64_t written_ = 0; // bytes counted against the simulated disk (test hook)
};

} // namespace

std::string readFile(const std::string& path, std::uint64_t maxBytes) {
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw Error(path + ": is a folder, expected a file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::uint64_t>(in.tellg());
    if (size > maxBytes)
        throw Error(path + ": file is " + std::to_string(size) + " bytes, more than the " +
                    std::to_string(maxBytes) + " bytes allowed for this kind of file");
    in.seekg(0);
    std::string data(size, '\0');
    if (size && !in.read(data.data(), static_cast<std::streamsize>(size)))
        throw Error(path + ": read failed");
    return data;
}

void writeFileAtomic(const std::string& path, const std::string& data) {
    TempFile tmp(path);
    tmp.write(data.data(), data.size());
    tmp.commit();
}

void writeFileAtomicStreamed(const std::string& path, const std::function<void(const ByteSink&)>& writer) {
    TempFile tmp(path);
    writer([&tmp](const void* data, std::size_t size) { tmp.write(data, size); });
    tmp.commit();
}

void setWriteFailureAfterBytesForTesting(std::int64_t bytes) {
    gBytesWritten = 0;
    gFailAfterBytes = bytes;
}

namespace {
// PEFT_STUDIO_TEST_DISK_FREE_BYTES: the same simulated disk for a whole process (the CLI in
// tests), set before main() runs.
[[maybe_unused]] const bool gDiskFreeFromEnvironment = [] {
    if (const char* v = std::getenv("PEFT_STUDIO_TEST_DISK_FREE_BYTES"))
        setWriteFailureAfterBytesForTesting(std::atoll(v));
    return true;
}();
} // namespace

bool isDirectory(const std::string& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}

bool isRegularFile(const std::string& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

std::uint64_t fileSize(const std::string& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return ec ? 0 : static_cast<std::uint64_t>(size);
}

std::string joinPath(const std::string& a, const std::string& b) { return (fs::path(a) / b).string(); }

std::string fileName(const std::string& path) { return fs::path(path).filename().string(); }

#ifdef _WIN32
void removeTree(const std::filesystem::path& path, std::error_code& ec) noexcept {
    ec.clear();
    fs::remove_all(path, ec);
}
#else
namespace {
int removeEntry(const char* path, const struct stat*, int type, struct FTW*) {
    const int rc = (type == FTW_DP) ? ::rmdir(path) : ::unlink(path);
    return rc == 0 || errno == ENOENT ? 0 : errno;
}
} // namespace

void removeTree(const std::filesystem::path& path, std::error_code& ec) noexcept {
    ec.clear();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT)
            ec = std::error_code(errno, std::generic_category());
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            ec = std::error_code(errno, std::generic_category());
        return;
    }
    const int rc = ::nftw(path.c_str(), removeEntry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc != 0)
        ec = std::error_code(rc > 0 ? rc : errno, std::generic_category());
}
#endif

} // namespace ps
