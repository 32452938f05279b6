#pragma once
// GPT-2's bytes_to_unicode table: every byte maps to a printable character so that byte-level
// BPE vocabularies are plain strings ("Ġ" is the space byte).
#include "tokenize/text_piece.h"

#include <array>
#include <cstdint>
#include <string>

namespace ps::tok {

// UTF-8 encoding of the character byte b maps to.
const std::array<std::string, 256>& byteToUnicodeUtf8();
// Inverse: code point -> byte, -1 when the code point is not in the table.
int unicodeToByte(char32_t cp);

// Replaces every byte of the piece by its mapped character (alignment kept per byte).
void byteLevelMap(Piece& p);

} // namespace ps::tok
