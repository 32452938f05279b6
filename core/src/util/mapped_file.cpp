#include "util/mapped_file.h"

#include "ps/error.h"

#include <cerrno>
#include <cstring>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace ps {

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
    std::shared_ptr<MappedFile> file(new MappedFile());
    file->path_ = path;
#ifdef _WIN32
    HANDLE h = CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE)
        throw Error(path + ": cannot open");
    file->fileHandle_ = h;
    LARGE_INTEGER size;
    if (!GetFileSizeEx(h, &size))
        throw Error(path + ": cannot read file size");
    file->size_ = static_cast<std::uint64_t>(size.QuadPart);
    if (file->size_ > 0) {
        HANDLE m = CreateFileMappingA(h, nullptr, PAGE_READONLY, 0, 0, nullptr);
        if (!m)
            throw Error(path + ": cannot map file");
        file->mapHandle_ = m;
        file->data_ = static_cast<const std::uint8_t*>(MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0));
        if (!file->data_)
            throw Error(path + ": cannot map file");
    }
#else
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(path + ": not a regular file");
    }
    file->size_ = static_cast<std::uint64_t>(st.st_size);
    if (file->size_ > 0) {
        void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw Error(path + ": cannot map file (" + std::strerror(err) + ")");
        }
        file->data_ = static_cast<const std::uint8_t*>(p);
    }
    ::close(fd);
#endif
    return file;
}

MappedFile::~MappedFile() {
#ifdef _WIN32
    if (data_)
        UnmapViewOfFile(data_);
    if (mapHandle_)
        CloseHandle(mapHandle_);
    if (fileHandle_)
        CloseHandle(fileHandle_);
#else
    if (data_)
        ::munmap(const_cast<std::uint8_t*>(data_), size_);
#endif
}

} // namespace ps
