#include "data/input_file.h"

#include "util/file_util.h"

#include <cerrno>
#include <cstring>

namespace ps::data {
namespace {
constexpr std::size_t kBufferBytes = 1u << 20;
}

InputFile::InputFile(const std::string& path, DataProgress progress, const std::atomic<bool>* cancel)
    : path_(path), progress_(std::move(progress)), cancel_(cancel) {
    if (isDirectory(path))
        throw Error(path + ": is a folder, expected a data file");
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_)
        throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
    size_ = fileSize(path);
    buf_.resize(kBufferBytes);
    cur_ = end_ = buf_.data();
    // Byte-order marks: UTF-8 is skipped, UTF-16/32 is refused (we read UTF-8 only).
    const int b0 = peek();
    if (b0 == 0xEF && end_ - cur_ >= 3 && static_cast<unsigned char>(cur_[1]) == 0xBB &&
        static_cast<unsigned char>(cur_[2]) == 0xBF) {
        cur_ += 3;
    } else if ((b0 == 0xFF || b0 == 0xFE) && end_ - cur_ >= 2 &&
               static_cast<unsigned char>(cur_[1]) == (b0 == 0xFF ? 0xFE : 0xFF)) {
        throw Error(path + ": the file is UTF-16 encoded; save it as UTF-8");
    }
}

InputFile::~InputFile() {
    if (file_)
        std::fclose(file_);
}

bool InputFile::refill() {
    if (cancel_ && cancel_->load(std::memory_order_relaxed))
        throw DataCancelled();
    bufferStart_ += static_cast<std::uint64_t>(end_ - buf_.data());
    const std::size_t n = std::fread(&buf_[0], 1, buf_.size(), file_);
    if (n == 0 && std::ferror(file_))
        throw Error(path_ + ": read failed (" + std::strerror(errno) + ")");
    cur_ = buf_.data();
    end_ = cur_ + n;
    if (progress_ && bufferStart_ > 0)
        progress_(bufferStart_, size_);
    return n > 0;
}

bool InputFile::readLine(std::string& out, std::size_t maxBytes, bool& tooLong) {
    out.clear();
    tooLong = false;
    if (cur_ == end_ && !refill())
        return false;
    for (;;) {
        const char* nl = static_cast<const char*>(std::memchr(cur_, '\n', static_cast<std::size_t>(end_ - cur_)));
        const char* stop = nl ? nl : end_;
        const std::size_t n = static_cast<std::size_t>(stop - cur_);
        if (!tooLong) {
            if (out.size() + n > maxBytes) {
                out.append(cur_, maxBytes - out.size());
                tooLong = true;
            } else {
                out.append(cur_, n);
            }
        }
        cur_ = stop;
        if (nl) {
            ++cur_;
            break;
        }
        if (!refill())
            break;
    }
    if (!tooLong && !out.empty() && out.back() == '\r')
        out.pop_back();
    return true;
}

void InputFile::finishProgress() {
    if (progress_)
        progress_(size_, size_);
}

} // namespace ps::data
