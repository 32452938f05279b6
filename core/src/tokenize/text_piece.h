#pragma once
// A piece of text on its way through normalizers and pre-tokenizers, optionally carrying for
// every byte the byte range of the original input it came from (the `tokenizers` library's
// NormalizedString alignments, reduced to what offsets need). Alignment is only tracked when
// offsets were asked for, so plain encoding pays nothing for it.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ps::tok {

struct Span {
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
};

struct Piece {
    std::string text;
    std::vector<Span> align; // one per byte of `text` when tracked, else empty
    bool tracked = false;
    bool atOrigin = false;         // starts at byte 0 of the original input (Metaspace prepend_scheme "first")
    std::uint32_t originBegin = 0; // original offset of the piece's start (used when empty)

    // The original range of text[from, to) (to > from).
    Span spanOf(std::size_t from, std::size_t to) const {
        if (!tracked || align.empty())
            return {originBegin, originBegin};
        return {align[from].begin, align[to - 1].end};
    }
    // Sub-piece text[from, to).
    Piece slice(std::size_t from, std::size_t to) const {
        Piece p;
        p.text.assign(text, from, to - from);
        p.tracked = tracked;
        p.atOrigin = atOrigin && from == 0;
        if (tracked) {
            p.align.assign(align.begin() + static_cast<std::ptrdiff_t>(from),
                           align.begin() + static_cast<std::ptrdiff_t>(to));
            p.originBegin = to > from ? align[from].begin : originBegin;
        } else {
            p.originBegin = originBegin;
        }
        return p;
    }
};

// Builds a new piece text while recording alignment when tracked.
class PieceBuilder final {
public:
    explicit PieceBuilder(const Piece& source) : tracked_(source.tracked) {
        out_.tracked = source.tracked;
        out_.atOrigin = source.atOrigin;
        out_.originBegin = source.originBegin;
        out_.text.reserve(source.text.size() + 4);
        if (tracked_)
            out_.align.reserve(source.text.size() + 4);
    }
    void append(std::string_view bytes, Span span) {
        out_.text.append(bytes.data(), bytes.size());
        if (tracked_)
            out_.align.insert(out_.align.end(), bytes.size(), span);
    }
    // Copies source bytes [from, to) with their own alignment.
    void copy(const Piece& source, std::size_t from, std::size_t to) {
        out_.text.append(source.text, from, to - from);
        if (tracked_)
            out_.align.insert(out_.align.end(), source.align.begin() + static_cast<std::ptrdiff_t>(from),
                              source.align.begin() + static_cast<std::ptrdiff_t>(to));
    }
    Piece take() { return std::move(out_); }

private:
    bool tracked_;
    Piece out_;
};

} // namespace ps::tok
