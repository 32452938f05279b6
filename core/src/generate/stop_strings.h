#pragma once
// User stop strings, checked on the decoded text as it streams. Text that could be the start of
// a stop string is held back until the following text shows whether it is one, so the stream
// never shows a stop string or a part of one. Torch-free.
#include <string>
#include <vector>

namespace ps::gen {

class StopStringFilter final {
public:
    explicit StopStringFilter(std::vector<std::string> stopStrings); // empty strings are ignored

    // Adds decoded text; returns the text that is safe to show now. After a match it returns the
    // text before the stop string and stopped() becomes true.
    std::string push(const std::string& text);
    // End of generation: the held-back text (which holds no stop string).
    std::string flush();
    bool stopped() const { return stopped_; }

private:
    std::vector<std::string> stops_;
    std::string held_;
    bool stopped_ = false;
};

} // namespace ps::gen
