#pragma once
// Invariants of ps::Tokenizer::encode*/decode shared by the two tokenizer fuzz targets.
#include "fuzz_util.h"
#include "ps/tokenizer.h"

#include <string_view>

namespace ps::fuzz {

// Whether `s` is well-formed UTF-8 (shortest forms, no surrogates, <= U+10FFFF): written here
// rather than taken from the tokenizer so that the check is independent of the code under test.
inline bool isValidUtf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size())
                return false;
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static const std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

// Encodes `text` with and without special tokens and with offsets, decodes the result; checks
// that ids are in range and offsets inside the text. Returns the ids of the plain encoding.
inline std::vector<std::int32_t> checkEncoding(const Tokenizer& tok, std::string_view text) {
    const std::int32_t vocab = tok.vocabSize();
    const std::vector<std::int32_t> ids = tok.encode(text);
    for (const std::int32_t id : ids)
        PS_FUZZ_CHECK(id >= 0 && id < vocab);
    // Offsets index the text, or for invalid UTF-8 the text with each bad byte replaced by
    // U+FFFD (3 bytes).
    const std::size_t limit = isValidUtf8(text) ? text.size() : 3 * text.size();
    const std::vector<TokenSpan> spans = tok.encodeWithOffsets(text, true);
    for (const TokenSpan& s : spans) {
        PS_FUZZ_CHECK(s.id >= 0 && s.id < vocab);
        PS_FUZZ_CHECK(s.begin <= s.end && s.end <= limit);
    }
    const std::vector<std::int32_t> withSpecial = tok.encode(text, true);
    PS_FUZZ_CHECK(withSpecial.size() == spans.size());
    (void)tok.decode(withSpecial, true);
    (void)tok.decode(ids, false);
    return ids;
}

} // namespace ps::fuzz
