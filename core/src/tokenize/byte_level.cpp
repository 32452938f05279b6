#include "tokenize/byte_level.h"

#include "tokenize/utf8.h"

namespace ps::tok {
namespace {

struct Tables {
    std::array<std::string, 256> toUtf8;
    std::array<char32_t, 256> toCp{};
    std::array<std::int16_t, 512> fromCp{};
    Tables() {
        fromCp.fill(-1);
        int n = 0;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            toCp[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
            appendUtf8(toUtf8[b], toCp[b]);
            fromCp[toCp[b]] = static_cast<std::int16_t>(b);
        }
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

} // namespace

const std::array<std::string, 256>& byteToUnicodeUtf8() {
    return tables().toUtf8;
}

int unicodeToByte(char32_t cp) {
    return cp < 512 ? tables().fromCp[cp] : -1;
}

void byteLevelMap(Piece& p) {
    const auto& map = tables().toUtf8;
    std::string out;
    out.reserve(p.text.size() * 2);
    if (!p.tracked) {
        for (unsigned char c : p.text)
            out += map[c];
        p.text = std::move(out);
        return;
    }
    std::vector<Span> align;
    align.reserve(p.text.size() * 2);
    for (std::size_t i = 0; i < p.text.size(); ++i) {
        const std::string& m = map[static_cast<unsigned char>(p.text[i])];
        out += m;
        align.insert(align.end(), m.size(), p.align[i]);
    }
    p.text = std::move(out);
    p.align = std::move(align);
}

} // namespace ps::tok
