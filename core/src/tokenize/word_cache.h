#pragma once
// The BPE word cache: word bytes -> its tokens. Sharded by hash, one mutex per shard, so that
// many threads can encode at once. Each shard is an open-addressing table of small slots with
// the words and tokens in two flat arenas: a lookup touches two cache lines instead of the
// chain of nodes of a std::unordered_map. A full shard is simply emptied (it is a cache).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ps::tok {

// A token of a word: id and its length in bytes of the word.
struct WordToken {
    std::int32_t id;
    std::uint32_t len;
};

class WordCache final {
public:
    WordCache();
    ~WordCache();
    WordCache(const WordCache&) = delete;
    WordCache& operator=(const WordCache&) = delete;

    static std::uint64_t hash(std::string_view word);
    // Appends the cached tokens of `word` to `out`; false when not cached.
    bool find(std::string_view word, std::uint64_t h, std::vector<WordToken>& out) const;
    void insert(std::string_view word, std::uint64_t h, const WordToken* tokens, std::size_t n);

private:
    struct Shard;
    static constexpr std::size_t kShards = 64;
    std::unique_ptr<Shard[]> shards_;
};

} // namespace ps::tok
