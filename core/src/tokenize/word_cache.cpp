#include "tokenize/word_cache.h"

#include <cstring>

namespace ps::tok {
namespace {

constexpr std::size_t kSlotsPerShard = 4096;         // power of two; 64 shards: ~130k words at most
constexpr std::size_t kMaxFill = kSlotsPerShard / 2; // short probe runs

struct Slot {
    std::uint64_t hash = 0; // 0 = empty (real hashes are forced non-zero)
    std::uint32_t wordOffset = 0;
    std::uint32_t tokenOffset = 0;
    std::uint32_t wordLen = 0;
    std::uint32_t tokenCount = 0;
};

} // namespace

struct WordCache::Shard {
    mutable std::mutex mutex;
    std::vector<Slot> slots = std::vector<Slot>(kSlotsPerShard);
    std::string words;
    std::vector<WordToken> tokens;
    std::size_t used = 0;
};

WordCache::WordCache() : shards_(new Shard[kShards]) {}
WordCache::~WordCache() = default;

std::uint64_t WordCache::hash(std::string_view word) {
    // FNV-1a, then a multiplicative finish so that both the high bits (shard) and the low bits
    // (slot) are well mixed.
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : word) {
        h ^= c;
        h *= 1099511628211ull;
    }
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return h | 1; // never 0
}

bool WordCache::find(std::string_view word, std::uint64_t h, std::vector<WordToken>& out) const {
    const Shard& s = shards_[h >> 58];
    std::lock_guard<std::mutex> lock(s.mutex);
    for (std::size_t i = h & (kSlotsPerShard - 1);; i = (i + 1) & (kSlotsPerShard - 1)) {
        const Slot& slot = s.slots[i];
        if (slot.hash == 0)
            return false;
        if (slot.hash == h && slot.wordLen == word.size() &&
            std::memcmp(s.words.data() + slot.wordOffset, word.data(), word.size()) == 0) {
            out.insert(out.end(), s.tokens.begin() + slot.tokenOffset,
                       s.tokens.begin() + slot.tokenOffset + slot.tokenCount);
            return true;
        }
    }
}

void WordCache::insert(std::string_view word, std::uint64_t h, const WordToken* tokens, std::size_t n) {
    Shard& s = shards_[h >> 58];
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.used >= kMaxFill) {
        std::fill(s.slots.begin(), s.slots.end(), Slot());
        s.words.clear();
        s.tokens.clear();
        s.used = 0;
    }
    std::size_t i = h & (kSlotsPerShard - 1);
    for (;; i = (i + 1) & (kSlotsPerShard - 1)) {
        const Slot& slot = s.slots[i];
        if (slot.hash == 0)
            break;
        if (slot.hash == h && slot.wordLen == word.size() &&
            std::memcmp(s.words.data() + slot.wordOffset, word.data(), word.size()) == 0)
            return; // another thread was first
    }
    Slot& slot = s.slots[i];
    slot.hash = h;
    slot.wordOffset = static_cast<std::uint32_t>(s.words.size());
    slot.wordLen = static_cast<std::uint32_t>(word.size());
    slot.tokenOffset = static_cast<std::uint32_t>(s.tokens.size());
    slot.tokenCount = static_cast<std::uint32_t>(n);
    s.words.append(word.data(), word.size());
    s.tokens.insert(s.tokens.end(), tokens, tokens + n);
    ++s.used;
}

} // namespace ps::tok
