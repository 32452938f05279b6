#include "data/sha256.h"

#include "ps/dataset.h"
#include "tokenize/sha256.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ps::data {

std::string sha256Hex(const std::string& data) {
    tok::Sha256 h;
    h.update(data);
    return h.hexDigest();
}

std::string sha256File(const std::string& path, const std::atomic<bool>* cancel) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
    tok::Sha256 h;
    std::vector<char> buf(1u << 20);
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            std::fclose(f);
            throw DataCancelled();
        }
        h.update(std::string_view(buf.data(), n));
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed)
        throw Error(path + ": read failed");
    return h.hexDigest();
}

} // namespace ps::data
