#pragma once
// A compiled PCRE2 regex (UTF + UCP, JIT when available) that is safe to use from many
// threads at once: the compiled code is shared, match data is per call.
// Stands in for the Oniguruma regexes of the `tokenizers` library.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ps::tok {

class Regex final {
public:
    // Throws ps::Error "<what>: invalid regex '<pattern>': <pcre2 message> at offset N".
    Regex(const std::string& pattern, const std::string& what);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // All matches [begin, end) left to right, like Rust's find_iter on an onig::Regex: empty
    // matches are reported, except one that ends where the previous match ended.
    void findAll(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const;
    const std::string& pattern() const { return pattern_; }

private:
    std::string pattern_;
    void* code_ = nullptr; // pcre2_code_8*
    bool jit_ = false;
};

// Escapes a literal string for use as a PCRE2 pattern.
std::string regexEscape(std::string_view literal);

} // namespace ps::tok
