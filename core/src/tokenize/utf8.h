#pragma once
// UTF-8 helpers for the tokenizer: decoding, encoding, "lossy" repair of invalid input with
// the exact rules of Rust's String::from_utf8_lossy, and the Unicode character classes the
// `tokenizers` library uses (Rust's char::is_whitespace, is_alphanumeric, is_numeric, ...).
#include <cstdint>
#include <string>
#include <string_view>

namespace ps::tok {

// The byte a byte-fallback piece stands for ("<0x0A>" -> 10; SentencePiece BYTE pieces and the
// tokenizers library's ByteFallback decoder), or -1 when the piece is not spelled "<0xHH>".
inline int bytePieceValue(std::string_view piece) {
    const auto hex = [](char c) {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>')
        return -1;
    const int hi = hex(piece[3]), lo = hex(piece[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// Length of the UTF-8 sequence starting with lead byte `b` (1 for invalid lead bytes).
inline int utf8SeqLen(unsigned char b) {
    if (b < 0x80)
        return 1;
    if ((b & 0xE0) == 0xC0)
        return 2;
    if ((b & 0xF0) == 0xE0)
        return 3;
    if ((b & 0xF8) == 0xF0)
        return 4;
    return 1;
}

// Decodes the code point at s[i] (s must be valid UTF-8) and advances i.
inline char32_t decodeUtf8(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    const int n = utf8SeqLen(b0);
    char32_t cp = n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (int k = 1; k < n && i + k < s.size(); ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += n;
    return cp;
}

// Code point of the character ending just before position `end` (s valid UTF-8); sets start.
char32_t decodeUtf8Before(std::string_view s, std::size_t end, std::size_t& start);

void appendUtf8(std::string& out, char32_t cp);

// Offset of the first byte that does not start a valid sequence (surrogates, overlongs and
// anything above U+10FFFF are invalid), or npos when all of s is well-formed UTF-8.
std::size_t findInvalidUtf8(std::string_view s);
inline bool isValidUtf8(std::string_view s) { return findInvalidUtf8(s) == std::string_view::npos; }
// Replaces each maximal invalid subpart with U+FFFD (the Unicode / WHATWG / Rust rule).
std::string repairUtf8(std::string_view s);

// Rust char predicates (Unicode properties), as the `tokenizers` library uses them.
bool isWhitespace(char32_t c);   // White_Space
bool isAlphanumeric(char32_t c); // Alphabetic || Numeric(Nd, Nl, No)
bool isNumeric(char32_t c);      // General_Category Nd | Nl | No
bool isPunctuation(char32_t c);  // ASCII punctuation || General_Category P*
bool isWordChar(char32_t c);     // regex \w: Alphabetic, M, Nd, Pc, Join_Control

} // namespace ps::tok
