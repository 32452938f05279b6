#pragma once
// A SentencePiece model (tokenizer.model) read and run without libsentencepiece: that library
// carries its own copy of protobuf, which clashes with the libprotobuf LibTorch loads into the
// same process (crash at start-up). The file is a protobuf ModelProto; we read the pieces
// (string, score, type), the trainer's model type and the normalizer flags, and implement the
// BPE encoder of sentencepiece's bpe_model.cc (highest-score pair first, user-defined symbols
// frozen, unused pieces re-segmented, byte fallback, consecutive unknowns fused).
// Normalization: identity rules exactly (add_dummy_prefix, remove_extra_whitespaces,
// escape_whitespaces); the precompiled nmt_nfkc rules are approximated with NFKC.
#include "tokenize/text_piece.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ps::tok {

class SpmModel final {
public:
    enum class PieceType : std::uint8_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

    // Throws ps::Error naming the file for anything unreadable or unsupported (Unigram, Word, Char).
    explicit SpmModel(const std::string& path);

    // Encodes one piece of text (valid UTF-8). dummyPrefix = false suppresses add_dummy_prefix
    // (transformers' non-legacy mode for text after a special token). Spans are relative to
    // `text` plus `offset`.
    void encode(std::string_view text, bool dummyPrefix, std::size_t offset, std::vector<std::int32_t>& ids,
                std::vector<Span>* spans) const;

    std::int32_t size() const { return static_cast<std::int32_t>(pieces_.size()); }
    const std::string& piece(std::int32_t id) const { return pieces_[static_cast<std::size_t>(id)].text; }
    PieceType type(std::int32_t id) const { return pieces_[static_cast<std::size_t>(id)].type; }
    std::int32_t pieceToId(std::string_view piece) const; // -1 when unknown
    std::int32_t unkId() const { return unkId_; }
    bool addsDummyPrefix() const { return addDummyPrefix_; }

private:
    struct Piece {
        std::string text;
        float score = 0;
        PieceType type = PieceType::Normal;
    };
    void normalize(std::string_view text, bool dummyPrefix, std::string& out, std::vector<std::uint32_t>* origin) const;

    std::vector<Piece> pieces_;
    struct PieceHash {
        std::size_t operator()(std::string_view s) const {
            std::uint64_t h = 1469598103934665603ull; // FNV-1a: pieces are a few bytes long
            for (unsigned char c : s)
                h = (h ^ c) * 1099511628211ull;
            return static_cast<std::size_t>(h ^ (h >> 32));
        }
    };
    std::unordered_map<std::string_view, std::int32_t, PieceHash> normal_;   // NORMAL, USER_DEFINED, UNUSED
    std::unordered_map<std::string_view, std::int32_t, PieceHash> reserved_; // the others
    std::vector<std::string> userDefined_;                                   // longest first
    // Every way to build a piece from two pieces: (left id, right id) -> merged id, as an
    // open-addressing table, so that the encoder compares ids instead of hashing strings.
    struct PairSlot {
        std::uint64_t key = ~0ull;
        std::int32_t merged = -1;
    };
    std::int32_t findPair(std::int32_t a, std::int32_t b) const;
    std::vector<PairSlot> pairs_;
    std::size_t pairMask_ = 0;
    int pairShift_ = 64;
    std::vector<std::int32_t> bmpIds_; // code point (BMP) -> id of the one-character piece, -1 none
    std::int32_t unkId_ = 0;
    std::int32_t byteIds_[256];
    bool byteFallback_ = false;
    bool addDummyPrefix_ = true;
    bool removeExtraWhitespaces_ = true;
    bool escapeWhitespaces_ = true;
    bool nfkc_ = false;
};

} // namespace ps::tok
