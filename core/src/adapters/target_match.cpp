#include "adapters/target_match.h"

#include "ps/error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>

namespace ps::adapters {
namespace {

struct CodeDeleter {
    void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct MatchDataDeleter {
    void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

// Matches `pattern` against `subject`; when `group1` is given, receives capture group 1.
bool regexMatch(const std::string& pattern, const std::string& subject, std::uint32_t options, const std::string& what,
                std::string* group1 = nullptr) {
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    std::unique_ptr<pcre2_code, CodeDeleter> code(pcre2_compile(
        reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &errorCode, &errorOffset, nullptr));
    if (!code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(errorCode, message, sizeof message);
        throw Error(what + ": invalid regex '" + pattern + "': " + reinterpret_cast<const char*>(message) +
                    " at offset " + std::to_string(errorOffset));
    }
    std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(pcre2_match_data_create_from_pattern(code.get(), nullptr));
    const int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                               data.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH)
        return false;
    if (rc < 0)
        throw Error(what + ": regex '" + pattern + "' failed on '" + subject + "' (pcre2 error " + std::to_string(rc) +
                    ")");
    if (group1 && rc >= 2) {
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
        *group1 = subject.substr(ovector[2], ovector[3] - ovector[2]);
    }
    return true;
}

// peft's COMMON_LAYERS_PATTERN.
const std::vector<std::string>& commonLayersPatterns() {
    static const std::vector<std::string> patterns{"layers", "h", "block", "blocks", "layer"};
    return patterns;
}

} // namespace

bool regexFullMatch(const std::string& pattern, const std::string& subject, const std::string& what) {
    return regexMatch(pattern, subject, PCRE2_ANCHORED | PCRE2_ENDANCHORED, what);
}

bool regexMatchAtStart(const std::string& pattern, const std::string& subject, const std::string& what) {
    return regexMatch(pattern, subject, PCRE2_ANCHORED, what);
}

bool listEntryMatches(const std::string& entry, const std::string& path) {
    if (path == entry)
        return true;
    return path.size() > entry.size() && path.compare(path.size() - entry.size(), entry.size(), entry) == 0 &&
           path[path.size() - entry.size() - 1] == '.';
}

std::optional<std::int64_t> layerIndexOf(const std::string& path, const std::string& layersPattern) {
    const std::vector<std::string> patterns =
        layersPattern.empty() ? commonLayersPatterns() : std::vector<std::string>{layersPattern};
    for (const auto& pattern : patterns) {
        // peft: re.match(f".*.{pattern}\.(\d+)\.*", key), the first pattern that matches wins.
        std::string digits;
        if (regexMatch(".*." + pattern + "\\.(\\d+)\\.*", path, PCRE2_ANCHORED, "layers_pattern", &digits))
            return std::stoll(digits);
    }
    return std::nullopt;
}

bool targetMatches(const TargetRule& rule, const std::string& path) {
    if (!rule.regex.empty())
        return regexFullMatch(rule.regex, path, "target_modules");
    bool found = false;
    bool exact = false;
    for (const auto& entry : rule.list) {
        if (entry == path) {
            found = exact = true;
            break;
        }
        if (listEntryMatches(entry, path))
            found = true;
    }
    // peft applies layers_to_transform only to suffix matches, not to an exact path.
    if (!found || exact || rule.layersToTransform.empty())
        return found;
    const auto layer = layerIndexOf(path, rule.layersPattern);
    if (!layer)
        return false;
    for (const auto index : rule.layersToTransform)
        if (index == *layer)
            return true;
    return false;
}

bool patternKeyMatches(const std::string& key, const std::string& path) {
    return regexMatchAtStart("(.*\\.)?(" + key + ")$", path, "rank_pattern/alpha_pattern key");
}

} // namespace ps::adapters
