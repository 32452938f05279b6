#pragma once
// SHA-256 (FIPS 180-4), for the tokenizer content hash that keys tokenized-dataset caches.
#include <cstdint>
#include <string>
#include <string_view>

namespace ps::tok {

class Sha256 final {
public:
    Sha256();
    void update(std::string_view data);
    std::string hexDigest(); // finalizes

private:
    void block(const unsigned char* p);
    std::uint32_t h_[8];
    unsigned char buf_[64];
    std::size_t bufLen_ = 0;
    std::uint64_t total_ = 0;
};

} // namespace ps::tok
