// RunConfig <-> YAML. yaml-cpp parses (and quotes strings on output); values are converted by
// our own locale-independent code (value_text.h) so that a save / load round trip is exact.
#include "ps/error.h"
#include "ps/run_config.h"
#include "runs/run_config_keys.h"
#include "runs/value_text.h"
#include "util/file_util.h"

// GCC 12 reports a false -Wdangling-pointer inside yaml-cpp 0.7's node lookup templates.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop
#else
#include <yaml-cpp/yaml.h>
#endif

#include <map>

namespace ps {
namespace {

std::string lineOf(const std::string& what, const YAML::Node& node) {
    const int line = node.Mark().line;
    return line >= 0 ? what + " line " + std::to_string(line + 1) : what;
}

bool needsQuotes(const std::string& s) {
    if (s.empty() || runs::isYamlNull(s) || s != runs::trim(s))
        return true;
    double d;
    bool b;
    if (runs::parseDouble(s, &d) || runs::parseBool(s, &b))
        return true;
    for (const unsigned char c : s)
        if (c < 0x20 || c == 0x7f)
            return true;
    return false;
}

std::string yamlString(const std::string& s) {
    YAML::Emitter out;
    if (needsQuotes(s))
        out << YAML::DoubleQuoted;
    out << s;
    return out.c_str();
}

// The text of a value node, for setRunConfigValue(). Lists are accepted for lora_target only.
std::string scalarText(const std::string& key, const YAML::Node& value, const std::string& where) {
    if (value.IsScalar())
        return value.Scalar();
    if (value.IsSequence() && key == "lora_target") {
        std::string joined;
        for (const auto& item : value) {
            if (!item.IsScalar())
                throw Error(where + ": lora_target list items must be module names");
            joined += (joined.empty() ? "" : ",") + item.Scalar();
        }
        return joined;
    }
    throw Error(where + ": " + key + " must be a single value, found a " + (value.IsSequence() ? "list" : "mapping"));
}

// yaml-cpp parses recursively, one C++ frame per nesting level, so a hostile file nested 10^5
// deep ("[[[[..." or "- - - - ...") would overflow the stack. A run config is flat (key: value,
// at most a short list), so anything nested deeper than this is refused before yaml-cpp sees it.
constexpr int kMaxYamlDepth = 32;
constexpr std::size_t kMaxYamlIndent = 256;

void checkYamlNesting(const std::string& yaml, const std::string& what) {
    int flow = 0, line = 1;
    std::size_t lineStart = 0;
    char quote = 0;
    for (std::size_t i = 0; i <= yaml.size(); ++i) {
        const char c = i < yaml.size() ? yaml[i] : '\n';
        if (c == '\n' || i == lineStart) {
            if (c == '\n') {
                ++line;
                lineStart = i + 1;
                continue;
            }
            // Start of a line: its indentation plus any "- " / "? " indicators are block nesting.
            std::size_t j = i;
            int indicators = 0;
            while (j < yaml.size() && (yaml[j] == ' ' || yaml[j] == '\t' ||
                                       ((yaml[j] == '-' || yaml[j] == '?') && j + 1 < yaml.size() &&
                                        (yaml[j + 1] == ' ' || yaml[j + 1] == '\t')))) {
                indicators += yaml[j] == ' ' || yaml[j] == '\t' ? 0 : 1;
                ++j;
            }
            if (j - i > kMaxYamlIndent || indicators > kMaxYamlDepth)
                throw Error(what + " line " + std::to_string(line) + ": nested deeper than a run configuration can be "
                                   "(refused before parsing)");
        }
        if (quote) {
            if (quote == '"' && c == '\\')
                ++i; // an escaped byte in a double-quoted scalar
            else if (quote == '\'' && c == '\'' && i + 1 < yaml.size() && yaml[i + 1] == '\'')
                ++i; // '' is a quote inside a single-quoted scalar
            else if (c == quote)
                quote = 0;
            continue;
        }
        if (c == '#' && (i == lineStart || yaml[i - 1] == ' ')) { // comment: skip to the end of the line
            while (i + 1 < yaml.size() && yaml[i + 1] != '\n')
                ++i;
        } else if ((c == '"' || c == '\'') &&
                   (i == lineStart || std::string(" \t[{,:-").find(yaml[i - 1]) != std::string::npos)) {
            quote = c; // a quote only starts a scalar at a token's start ("don't" is plain text)
        } else if (c == '[' || c == '{') {
            if (++flow > kMaxYamlDepth)
                throw Error(what + " line " + std::to_string(line) + ": nested deeper than " +
                            std::to_string(kMaxYamlDepth) + " levels (refused before parsing)");
        } else if ((c == ']' || c == '}') && flow > 0) {
            --flow;
        }
    }
}

} // namespace

RunConfig parseRunConfigYaml(const std::string& yaml, const std::string& what, std::map<std::string, int>* keyLines) {
    checkYamlNesting(yaml, what);
    YAML::Node root;
    try {
        root = YAML::Load(yaml);
    } catch (const YAML::ParserException& e) {
        throw Error(what + " line " + std::to_string(e.mark.line + 1) + ": invalid YAML (" + e.msg + ")");
    }
    RunConfig config;
    if (!root.IsDefined() || root.IsNull())
        return config; // an empty file: every default
    if (!root.IsMap())
        throw Error(what + ": expected 'key: value' lines, found a " + (root.IsSequence() ? "list" : "single value"));

    const RunConfig defaults;
    std::map<std::string, int> seen;
    for (auto it = root.begin(); it != root.end(); ++it) {
        // Copies, not references: yaml-cpp's iterator hands out a temporary pair, so a reference to
        // it->first dangles at the end of the statement (ASan: stack-use-after-scope, found by
        // tests/fuzz/fuzz_run_config). A Node is a cheap handle.
        const YAML::Node keyNode = it->first;
        const YAML::Node value = it->second;
        const std::string where = lineOf(what, keyNode);
        if (!keyNode.IsScalar())
            throw Error(where + ": keys must be names, found a " + (keyNode.IsSequence() ? "list" : "mapping"));
        const std::string key = keyNode.Scalar();
        if (!findRunConfigKey(key))
            throw Error(where + ": " + runs::unknownKeyMessage(key));
        const int line = keyNode.Mark().line + 1;
        if (auto prev = seen.find(key); prev != seen.end())
            throw Error(where + ": key '" + key + "' given twice (first on line " + std::to_string(prev->second) + ")");
        seen[key] = line;
        if (value.IsNull())
            setRunConfigValue(config, key, runConfigValue(defaults, key), where);
        else
            setRunConfigValue(config, key, scalarText(key, value, where), where);
    }
    if (keyLines)
        *keyLines = seen;
    return config;
}

std::string runConfigToYaml(const RunConfig& config) {
    std::string out = "# PEFT Studio run configuration: peft-studio-cli train THIS_FILE [--set key=value ...]\n"
                      "# Key names follow LLaMA-Factory and transformers' TrainingArguments.\n";
    std::string section;
    for (const auto& b : runs::keyBindings()) {
        if (b.key.section != section) {
            section = b.key.section;
            out += "\n# --- " + section + "\n";
        }
        std::string help = b.key.help;
        if (!b.key.choices.empty()) {
            help += " One of:";
            for (const auto& c : b.key.choices)
                help += " " + c;
        }
        out += "# " + help + "\n";
        const std::string value = runConfigValue(config, b.key.name);
        out += b.key.name + ": " + (b.key.type == ConfigValueType::String ? yamlString(value) : value) + "\n";
    }
    return out;
}

void applyRunConfigOverride(RunConfig& config, const std::string& assignment) {
    const std::string where = "--set " + assignment;
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw Error(where + ": expected key=value");
    const std::string key = runs::trim(assignment.substr(0, eq));
    const std::string value = assignment.substr(eq + 1);
    if (!findRunConfigKey(key))
        throw Error(where + ": " + runs::unknownKeyMessage(key));
    const auto* k = findRunConfigKey(key);
    // Like YAML, an empty or null value on a non-string key restores the default.
    if (k->type != ConfigValueType::String && runs::isYamlNull(runs::trim(value)))
        setRunConfigValue(config, key, runConfigValue(RunConfig{}, key), where);
    else
        setRunConfigValue(config, key, k->type == ConfigValueType::String ? value : runs::trim(value), where);
}

RunConfig loadRunConfig(const std::string& path, const std::vector<std::string>& overrides, bool requireInputs) {
    std::map<std::string, int> lines;
    RunConfig config = parseRunConfigYaml(readFile(path, 16u << 20), path, &lines);
    std::map<std::string, std::string> origin; // key -> where its value came from
    for (const auto& [key, line] : lines)
        origin[key] = path + " line " + std::to_string(line);
    for (const auto& o : overrides) {
        applyRunConfigOverride(config, o);
        origin[runs::trim(o.substr(0, o.find('=')))] = "--set " + o;
    }
    const auto problems = runConfigProblems(config, requireInputs);
    if (!problems.empty()) {
        const auto& p = problems.front();
        const auto it = origin.find(p.key);
        const std::string where = it != origin.end() ? it->second : path;
        std::string more;
        if (problems.size() > 1)
            more = " (and " + std::to_string(problems.size() - 1) + " more problem" + (problems.size() > 2 ? "s" : "") +
                   ")";
        throw Error(where + ": " + p.message + more);
    }
    return config;
}

void saveRunConfig(const RunConfig& config, const std::string& path) {
    writeFileAtomic(path, runConfigToYaml(config));
}

} // namespace ps
