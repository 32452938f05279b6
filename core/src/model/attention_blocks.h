#pragma once
// How many query rows one causal block of the training attention holds (attendRecompute in
// model/attention_recompute.h), torch-free so that the memory estimate follows the same rule.
#include <algorithm>
#include <cstdint>

namespace ps::model {

// Blocks of at least 64 queries (smaller products lose more GEMM speed than they save), at most 8
// of them: 256 tokens -> 4 blocks of 64, 10/16 of the score work; 1024 -> 8 blocks, 36/64. 0 (no
// blocks) below 128 queries.
inline std::int64_t causalBlockRowsFor(std::int64_t T) {
    if (T < 128)
        return 0;
    const std::int64_t blocks = std::min<std::int64_t>(8, T / 64);
    return (T + blocks - 1) / blocks;
}

} // namespace ps::model
