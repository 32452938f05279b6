#include "generate/incremental_detokenizer.h"

#include <algorithm>

namespace ps::gen {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD"; // U+FFFD

bool isContinuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The longest common prefix of a and b that ends on a character boundary of b.
std::size_t commonPrefix(const std::string& a, const std::string& b) {
    std::size_t n = 0;
    const std::size_t limit = std::min(a.size(), b.size());
    while (n < limit && a[n] == b[n])
        ++n;
    while (n > 0 && n < b.size() && isContinuation(b[n]))
        --n;
    return n;
}

} // namespace

bool endsIncomplete(const std::string& text) {
    if (text.size() >= 3 && text.compare(text.size() - 3, 3, kReplacement) == 0)
        return true;
    // Walk back over continuation bytes to the lead byte and check the sequence is complete.
    std::size_t i = text.size(), continuation = 0;
    while (i > 0 && isContinuation(text[i - 1]) && continuation < 4) {
        --i;
        ++continuation;
    }
    if (i == 0)
        return continuation > 0;
    const auto lead = static_cast<unsigned char>(text[i - 1]);
    const std::size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    return continuation < need;
}

IncrementalDetokenizer::IncrementalDetokenizer(DecodeFn decode, const std::vector<std::int32_t>& context)
    : decode_(std::move(decode)), ids_(context), prefixOffset_(0), readOffset_(context.size()) {}

std::string IncrementalDetokenizer::emitFrom(const std::string& prefixText, const std::string& newText) {
    const std::size_t from = commonPrefix(prefixText, newText);
    prefixOffset_ = readOffset_;
    readOffset_ = ids_.size();
    return newText.substr(from);
}

std::string IncrementalDetokenizer::push(std::int32_t id) {
    ids_.push_back(id);
    const std::vector<std::int32_t> window(ids_.begin() + static_cast<std::ptrdiff_t>(prefixOffset_), ids_.end());
    const std::vector<std::int32_t> before(ids_.begin() + static_cast<std::ptrdiff_t>(prefixOffset_),
                                           ids_.begin() + static_cast<std::ptrdiff_t>(readOffset_));
    const std::string prefixText = decode_(before);
    const std::string newText = decode_(window);
    if (newText.size() <= prefixText.size() || endsIncomplete(newText))
        return {}; // nothing new yet, or the last character is not complete
    return emitFrom(prefixText, newText);
}

std::string IncrementalDetokenizer::flush() {
    if (readOffset_ == ids_.size())
        return {};
    const std::vector<std::int32_t> window(ids_.begin() + static_cast<std::ptrdiff_t>(prefixOffset_), ids_.end());
    const std::vector<std::int32_t> before(ids_.begin() + static_cast<std::ptrdiff_t>(prefixOffset_),
                                           ids_.begin() + static_cast<std::ptrdiff_t>(readOffset_));
    const std::string prefixText = decode_(before);
    const std::string newText = decode_(window);
    if (newText.size() <= prefixText.size()) {
        readOffset_ = ids_.size();
        return {};
    }
    return emitFrom(prefixText, newText);
}

} // namespace ps::gen
