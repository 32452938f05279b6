#include "runs/append_only_file.h"

#include "ps/error.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#ifndef _WIN32
#include <unistd.h>
#endif

namespace fs = std::filesystem;

namespace ps::runs {

std::size_t AppendOnlyFile::repairTornTail(const std::string& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec || size == 0)
        return 0;
    std::ifstream in(path, std::ios::binary);
    // Scan backwards in blocks for the last newline.
    const std::uintmax_t block = 4096;
    std::uintmax_t end = size;
    std::string buf;
    while (end > 0) {
        const std::uintmax_t begin = end > block ? end - block : 0;
        buf.resize(static_cast<std::size_t>(end - begin));
        in.seekg(static_cast<std::streamoff>(begin));
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (!in)
            throw Error(path + ": read failed while checking the last line");
        const auto nl = buf.rfind('\n');
        if (nl != std::string::npos) {
            const std::uintmax_t keep = begin + nl + 1;
            if (keep == size)
                return 0;
            in.close();
            fs::resize_file(path, keep, ec);
            if (ec)
                throw Error(path + ": cannot cut off the torn last line (" + ec.message() + ")");
            return static_cast<std::size_t>(size - keep);
        }
        end = begin;
    }
    in.close();
    fs::resize_file(path, 0, ec); // no complete line at all
    if (ec)
        throw Error(path + ": cannot cut off the torn last line (" + ec.message() + ")");
    return static_cast<std::size_t>(size);
}

AppendOnlyFile::AppendOnlyFile(const std::string& path) : path_(path) {
    std::error_code ec;
    const fs::path p(path);
    if (p.has_parent_path())
        fs::create_directories(p.parent_path(), ec);
    repairTornTail(path);
    file_ = std::fopen(path.c_str(), "ab");
    if (!file_)
        throw Error(path + ": cannot open for appending (" + std::strerror(errno) + ")");
}

AppendOnlyFile::~AppendOnlyFile() {
    if (file_)
        std::fclose(file_);
}

void AppendOnlyFile::appendLine(const std::string& line) {
    const std::string data = line + "\n";
    if (std::fwrite(data.data(), 1, data.size(), file_) != data.size() || std::fflush(file_) != 0)
        throw Error(path_ + ": write failed (" + std::strerror(errno) + ")");
}

void AppendOnlyFile::sync() {
    if (std::fflush(file_) != 0)
        throw Error(path_ + ": write failed (" + std::strerror(errno) + ")");
#ifndef _WIN32
    ::fsync(fileno(file_));
#endif
}

} // namespace ps::runs
