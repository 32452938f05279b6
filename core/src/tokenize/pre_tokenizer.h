#pragma once
// tokenizer.json "pre_tokenizer": ByteLevel, Split, Metaspace, Digits, Punctuation, Whitespace,
// WhitespaceSplit, BertPreTokenizer, CharDelimiterSplit and Sequence. Each splits pieces
// further (never merges them) and may rewrite their text (ByteLevel, Metaspace).
#include "tokenize/function_ref.h"
#include "tokenize/text_piece.h"
#include "util/json_util.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ps::tok {

using PieceSink = FunctionRef<void(Piece&&)>;

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Splits one piece and hands every non-empty result to `sink`, in order. Pieces stream
    // through (no intermediate lists): Sequence feeds each result to the next stage.
    virtual void split(Piece&& piece, PieceSink sink) const = 0;
    // True when the last stage maps bytes to GPT-2's characters (ByteLevel) and nothing after
    // it changes the text: the model may then work on raw bytes (see skipByteMapping).
    virtual bool endsWithByteLevel() const { return false; }
    // Asks a trailing ByteLevel stage to leave the bytes unmapped (the model maps its vocab instead).
    virtual void skipByteMapping() {}
};

std::unique_ptr<PreTokenizer> makePreTokenizer(const Json& j, const std::string& what);

// The `tokenizers` library's SplitDelimiterBehavior.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// One segment of a piece: [begin, end) and whether it is a match of the pattern.
struct Segment {
    std::size_t begin, end;
    bool match;
};

// Turns matches (sorted, non-overlapping) into segments covering the whole text.
std::vector<Segment> segmentsFromMatches(std::size_t textSize,
                                         const std::vector<std::pair<std::size_t, std::size_t>>& matches);
// Applies the behaviour to matches of `p` and hands the non-empty sub-pieces to `sink`.
void splitPiece(Piece&& p, const std::vector<std::pair<std::size_t, std::size_t>>& matches, SplitBehavior behavior,
                bool invert, PieceSink sink);

} // namespace ps::tok
