#include "tokenize/regex.h"

#include "ps/error.h"
#include "tokenize/utf8.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace ps::tok {

namespace {

std::string pcre2Message(int code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code, buf, sizeof buf);
    return reinterpret_cast<const char*>(buf);
}

// Per-thread match state: one ovector pair is enough (only the whole match is read; PCRE2
// returns 0 when groups do not fit), and a JIT stack larger than the 32 KiB default so that
// long whitespace runs under lookahead patterns cannot exhaust it.
struct ThreadMatchState {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    pcre2_match_context* context = pcre2_match_context_create(nullptr);
    pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    ThreadMatchState() { pcre2_jit_stack_assign(context, nullptr, stack); }
    ~ThreadMatchState() {
        pcre2_match_data_free(data);
        pcre2_match_context_free(context);
        pcre2_jit_stack_free(stack);
    }
};

ThreadMatchState& threadMatchState() {
    thread_local ThreadMatchState state;
    return state;
}

} // namespace

Regex::Regex(const std::string& pattern, const std::string& what) : pattern_(pattern) {
    int err = 0;
    PCRE2_SIZE errOffset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &errOffset, nullptr);
    if (!code)
        throw Error(what + ": invalid regex '" + pattern + "': " + pcre2Message(err) + " at offset " +
                    std::to_string(errOffset));
    code_ = code;
    jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() {
    if (code_)
        pcre2_code_free(static_cast<pcre2_code*>(code_));
}

void Regex::findAll(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const {
    auto* code = static_cast<pcre2_code*>(code_);
    ThreadMatchState& st = threadMatchState();
    pcre2_match_data* md = st.data;
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    const std::size_t len = text.size();
    std::size_t searchFrom = 0;
    bool haveLastEnd = false;
    std::size_t lastEnd = 0;
    while (searchFrom <= len) {
        const int rc = jit_ ? pcre2_jit_match(code, subject, len, searchFrom, 0, md, st.context)
                            : pcre2_match(code, subject, len, searchFrom, PCRE2_NO_UTF_CHECK, md, st.context);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0)
            throw Error("regex '" + pattern_ + "': matching failed: " + pcre2Message(rc));
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        const std::size_t s = ov[0], e = ov[1];
        if (s == e && haveLastEnd && lastEnd == e) {
            // Rust/onig find_iter: no empty match right after the previous match; step one char.
            if (searchFrom >= len)
                break;
            searchFrom += static_cast<std::size_t>(utf8SeqLen(static_cast<unsigned char>(text[searchFrom])));
            continue;
        }
        out.emplace_back(s, e);
        haveLastEnd = true;
        lastEnd = e;
        searchFrom = e;
    }
}

std::string regexEscape(std::string_view literal) {
    // Any ASCII non-alphanumeric may be escaped in PCRE2; multi-byte characters are literal.
    std::string out;
    out.reserve(literal.size() * 2);
    for (char c : literal) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

} // namespace ps::tok
