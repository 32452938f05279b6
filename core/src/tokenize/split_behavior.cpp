// The `tokenizers` library's NormalizedString::split, segment by segment.
#include "tokenize/pre_tokenizer.h"

#include <algorithm>

namespace ps::tok {

std::vector<Segment> segmentsFromMatches(std::size_t textSize,
                                         const std::vector<std::pair<std::size_t, std::size_t>>& matches) {
    std::vector<Segment> segs;
    if (textSize == 0) {
        segs.push_back({0, 0, false});
        return segs;
    }
    segs.reserve(matches.size() * 2 + 1);
    std::size_t prev = 0;
    for (const auto& [s, e] : matches) {
        if (prev != s)
            segs.push_back({prev, s, false});
        segs.push_back({s, e, true});
        prev = e;
    }
    if (prev != textSize)
        segs.push_back({prev, textSize, false});
    return segs;
}

void splitPiece(Piece&& p, const std::vector<std::pair<std::size_t, std::size_t>>& matches, SplitBehavior behavior,
                bool invert, PieceSink sink) {
    auto emit = [&](std::size_t b, std::size_t e) {
        if (e <= b)
            return;
        if (b == 0 && e == p.text.size())
            sink(std::move(p));
        else
            sink(p.slice(b, e));
    };
    if (behavior == SplitBehavior::Isolated && !invert) {
        // The common case (GPT-2 / Llama-3 / Qwen regexes): every match and every gap is a piece.
        std::size_t prev = 0;
        const std::size_t n = p.text.size();
        for (const auto& [s, e] : matches) {
            emit(prev, s);
            emit(s, e);
            prev = e;
        }
        emit(prev, n);
        return;
    }
    std::vector<Segment> segs = segmentsFromMatches(p.text.size(), matches);
    if (invert)
        for (auto& s : segs)
            s.match = !s.match;
    std::vector<Segment> result; // `match` reused as "remove"
    result.reserve(segs.size());
    switch (behavior) {
    case SplitBehavior::Isolated:
        for (const auto& s : segs)
            result.push_back({s.begin, s.end, false});
        break;
    case SplitBehavior::Removed:
        result = segs;
        break;
    case SplitBehavior::Contiguous: {
        bool previousMatch = false;
        for (const auto& s : segs) {
            if (s.match == previousMatch && !result.empty())
                result.back().end = s.end;
            else
                result.push_back({s.begin, s.end, false});
            previousMatch = s.match;
        }
        break;
    }
    case SplitBehavior::MergedWithPrevious: {
        bool previousMatch = false;
        for (const auto& s : segs) {
            if (s.match && !previousMatch && !result.empty())
                result.back().end = s.end;
            else
                result.push_back({s.begin, s.end, false});
            previousMatch = s.match;
        }
        break;
    }
    case SplitBehavior::MergedWithNext: {
        bool previousMatch = false;
        for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
            if (it->match && !previousMatch && !result.empty())
                result.back().begin = it->begin;
            else
                result.push_back({it->begin, it->end, false});
            previousMatch = it->match;
        }
        std::reverse(result.begin(), result.end());
        break;
    }
    }
    for (const auto& s : result)
        if (!s.match)
            emit(s.begin, s.end);
}

} // namespace ps::tok
