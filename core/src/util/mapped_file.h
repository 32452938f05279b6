#pragma once
// A read-only memory mapping of a whole file (mmap on POSIX, MapViewOfFile on Windows).
// Used for zero-copy weight loading: the OS pages tensors in on demand and the bytes are
// shared with the page cache, so a 500 MB checkpoint does not cost 500 MB twice.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace ps {

class MappedFile final {
public:
    // Throws ps::Error naming the file when it cannot be opened or mapped.
    static std::shared_ptr<MappedFile> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::uint8_t* data() const { return data_; }
    std::uint64_t size() const { return size_; }
    const std::string& path() const { return path_; }

private:
    MappedFile() = default;
    std::string path_;
    const std::uint8_t* data_ = nullptr;
    std::uint64_t size_ = 0;
#ifdef _WIN32
    void* fileHandle_ = nullptr;
    void* mapHandle_ = nullptr;
#endif
};

} // namespace ps
