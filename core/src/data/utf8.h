#pragma once
// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). Records
// are checked before parsing so that a bad byte is reported with its line and column instead
// of as a JSON syntax error or, worse, passed on to the tokenizer.
#include <cstddef>
#include <string_view>

namespace ps::data {

// Offset of the first byte that does not start a valid sequence, or npos when all is valid.
std::size_t findInvalidUtf8(std::string_view text);

} // namespace ps::data
