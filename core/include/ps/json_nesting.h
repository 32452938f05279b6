#pragma once
// The nesting limit for every JSON the project reads (public: the CLI checks what it reads from
// files and stdin the same way core does). Torch-free, no JSON library needed.
#include <cstddef>
#include <string>

namespace ps {

// Deepest nesting of arrays / objects accepted in any JSON we read. Real files nest a handful
// of levels (tokenizer.json about 6, a ShareGPT record 3). nlohmann's parser itself is iterative,
// but copying, dumping and comparing a value recurse once per level, so a hostile file nested
// 10^5 deep would overflow the stack later; it is refused up front instead.
constexpr int kMaxJsonDepth = 512;

// The byte offset where `text` first nests arrays / objects deeper than maxDepth (strings
// skipped), or std::string::npos. One linear pass, no allocation.
std::size_t findJsonNestingOverflow(const std::string& text, int maxDepth = kMaxJsonDepth);

// Throws ps::Error "<what>: JSON nested deeper than 512 levels at line L, column C" when `text`
// nests arrays / objects deeper than maxDepth.
void checkJsonNesting(const std::string& text, const std::string& what, int maxDepth = kMaxJsonDepth);

} // namespace ps
