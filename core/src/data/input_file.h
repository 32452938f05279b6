#pragma once
// Buffered sequential reading of a data file with bounded memory: a 1 MiB window, progress
// reported and the cancel flag checked at every refill, a UTF-8 byte-order mark skipped and
// UTF-16 files refused with a clear message.
#include "ps/dataset.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace ps::data {

class InputFile final {
public:
    InputFile(const std::string& path, DataProgress progress = {}, const std::atomic<bool>* cancel = nullptr);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    const std::string& path() const { return path_; }
    std::uint64_t size() const { return size_; }
    // Bytes consumed so far (the BOM included).
    std::uint64_t position() const { return bufferStart_ + static_cast<std::uint64_t>(cur_ - buf_.data()); }

    // Character access: -1 at the end of the file.
    int peek() {
        if (cur_ == end_ && !refill())
            return -1;
        return static_cast<unsigned char>(*cur_);
    }
    int get() {
        if (cur_ == end_ && !refill())
            return -1;
        return static_cast<unsigned char>(*cur_++);
    }

    // Reads one line without its '\n' (and without a '\r' before it) into `out`. Returns false
    // at the end of the file. A line longer than maxBytes is consumed but not stored: `tooLong`
    // is set and `out` holds its first maxBytes bytes.
    bool readLine(std::string& out, std::size_t maxBytes, bool& tooLong);

    // Reports final progress (bytes done == total).
    void finishProgress();

private:
    bool refill();

    std::string path_;
    std::FILE* file_ = nullptr;
    std::uint64_t size_ = 0;
    std::string buf_;
    const char* cur_ = nullptr;
    const char* end_ = nullptr;
    std::uint64_t bufferStart_ = 0; // file offset of buf_[0]
    DataProgress progress_;
    const std::atomic<bool>* cancel_ = nullptr;
};

} // namespace ps::data
