#pragma once
// Which modules a PEFT config adapts — peft's matching rules, reproduced exactly so that an
// adapter_config.json selects the same modules here as in peft (torch-free).
//
//   target list:  a module path equal to an entry or ending in "." + entry
//   target regex: re.fullmatch(regex, path)
//   layers_to_transform (list targets only): the layer index is the number after
//                 layers_pattern (or one of "layers", "h", "block", "blocks", "layer")
//   rank/alpha_pattern: the first key with re.match(r"(.*\.)?(key)$", path)
//   modules_to_save, IA3 feedforward_modules: path.endswith(entry)
// Regexes are PCRE2, which accepts Python's `re` syntax for everything peft users write.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ps::adapters {

// re.fullmatch(pattern, subject). Throws ps::Error "<what>: invalid regex ..." for a bad pattern.
bool regexFullMatch(const std::string& pattern, const std::string& subject, const std::string& what);
// re.match(pattern, subject): anchored at the start only.
bool regexMatchAtStart(const std::string& pattern, const std::string& subject, const std::string& what);

// A list entry matches `path` when equal to it or a dotted suffix of it.
bool listEntryMatches(const std::string& entry, const std::string& path);

// The decoder layer index of a module path per layers_pattern (empty: peft's common names), or
// nullopt when the path has none.
std::optional<std::int64_t> layerIndexOf(const std::string& path, const std::string& layersPattern);

struct TargetRule {
    std::vector<std::string> list; // used when regex is empty
    std::string regex;
    std::vector<std::int64_t> layersToTransform;
    std::string layersPattern;
};

// peft's check_target_module_exists.
bool targetMatches(const TargetRule& rule, const std::string& path);

// The first key of `patterns` (in map order) matching `path` as "(.*\.)?(key)$", or nullopt.
template <typename V> std::optional<V> patternValue(const std::map<std::string, V>& patterns, const std::string& path);

bool patternKeyMatches(const std::string& key, const std::string& path);

template <typename V> std::optional<V> patternValue(const std::map<std::string, V>& patterns, const std::string& path) {
    for (const auto& [key, value] : patterns)
        if (patternKeyMatches(key, path))
            return value;
    return std::nullopt;
}

} // namespace ps::adapters
