#pragma once
// Command-line parsing for peft-studio-cli: positionals plus --key value / --flag options.
// Each command declares which options take a value; anything else is an error naming it.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ps::cli {

class CliArgs final {
public:
    // `valueOptions`: options that take a value (without "--"); `flagOptions`: boolean flags.
    // `repeatable` options may be given several times (all values kept).
    CliArgs(const std::vector<std::string>& args, const std::set<std::string>& valueOptions,
            const std::set<std::string>& flagOptions, const std::set<std::string>& repeatable = {});

    const std::vector<std::string>& positionals() const { return positionals_; }
    bool flag(const std::string& name) const { return flags_.count(name) != 0; }
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> values(const std::string& name) const;
    // Throws ps::Error "missing required option --name".
    std::string require(const std::string& name) const;
    long long intValue(const std::string& name, long long fallback) const;
    double doubleValue(const std::string& name, double fallback) const;

private:
    std::vector<std::string> positionals_;
    std::set<std::string> flags_;
    std::map<std::string, std::vector<std::string>> values_;
};

} // namespace ps::cli
