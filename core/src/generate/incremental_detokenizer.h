#pragma once
// Turns a stream of token ids into text pieces that never split a UTF-8 character, and whose
// concatenation is the decoded text (the method of text-generation-inference): decode a short
// window of ids twice, without and with the new ones, and emit the difference once it no longer
// ends in U+FFFD (an incomplete multi-byte character spread over byte tokens). Torch-free.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ps::gen {

class IncrementalDetokenizer final {
public:
    using DecodeFn = std::function<std::string(const std::vector<std::int32_t>&)>;

    // `context`: ids before the first pushed one (the end of the prompt). They are never emitted
    // but decoding starts from them, so a piece reads exactly as it follows the prompt's text
    // (e.g. a SentencePiece token's leading space is kept).
    explicit IncrementalDetokenizer(DecodeFn decode, const std::vector<std::int32_t>& context = {});

    // Adds one id; returns the text it completes (whole characters; may be empty).
    std::string push(std::int32_t id);
    // The text still held back at the end of the stream (an incomplete character becomes U+FFFD).
    std::string flush();

private:
    std::string emitFrom(const std::string& prefixText, const std::string& newText);

    DecodeFn decode_;
    std::vector<std::int32_t> ids_;
    std::size_t prefixOffset_ = 0; // start of the decoding window
    std::size_t readOffset_ = 0;   // ids before this are emitted
};

// True when `text` ends inside a multi-byte UTF-8 sequence or with U+FFFD.
bool endsIncomplete(const std::string& text);

} // namespace ps::gen
