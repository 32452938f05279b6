#include "generate/stop_strings.h"

#include <algorithm>

namespace ps::gen {

StopStringFilter::StopStringFilter(std::vector<std::string> stopStrings) {
    for (auto& s : stopStrings)
        if (!s.empty())
            stops_.push_back(std::move(s));
}

std::string StopStringFilter::push(const std::string& text) {
    if (stopped_)
        return {};
    held_ += text;
    if (stops_.empty()) {
        std::string out;
        out.swap(held_);
        return out;
    }
    // Shown text never holds the start of a stop string (see below), so a match lies in held_.
    std::size_t match = std::string::npos;
    for (const auto& s : stops_)
        match = std::min(match, held_.find(s));
    if (match != std::string::npos) {
        stopped_ = true;
        std::string out = held_.substr(0, match);
        held_.clear();
        return out;
    }
    // Hold back the longest end of the text that is the beginning of a stop string.
    std::size_t keep = 0;
    for (const auto& s : stops_) {
        for (std::size_t len = std::min(s.size() - 1, held_.size()); len > keep; --len) {
            if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
                keep = len;
                break;
            }
        }
    }
    std::size_t cut = held_.size() - keep;
    // Never cut inside a UTF-8 character (a stop string may start with a continuation byte).
    while (cut > 0 && cut < held_.size() && (static_cast<unsigned char>(held_[cut]) & 0xC0) == 0x80)
        --cut;
    std::string out = held_.substr(0, cut);
    held_.erase(0, cut);
    return out;
}

std::string StopStringFilter::flush() {
    std::string out;
    out.swap(held_);
    return out;
}

} // namespace ps::gen
