// "Copy as CLI command": the peft-studio-cli line that trains with a given config.
#include "ps/run_config.h"
#include "runs/run_config_keys.h"

#include <cctype>

namespace ps {
namespace {

bool shellSafe(const std::string& s) {
    if (s.empty())
        return false;
    for (const unsigned char c : s)
        if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == '=' || c == ',' ||
              c == '+' || c == '@' || c == '%'))
            return false;
    return true;
}

std::string quotePosix(const std::string& s) {
    if (shellSafe(s))
        return s;
    std::string out = "'";
    for (const char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// cmd.exe / CommandLineToArgvW: double quotes, with \" for a quote and backslashes doubled
// before a quote or the closing quote.
std::string quoteWindows(const std::string& s) {
    if (shellSafe(s))
        return s;
    std::string out = "\"";
    std::size_t backslashes = 0;
    for (const char c : s) {
        if (c == '\\') {
            ++backslashes;
            continue;
        }
        if (c == '"') {
            out += std::string(backslashes * 2 + 1, '\\') + "\"";
        } else {
            out += std::string(backslashes, '\\') + c;
        }
        backslashes = 0;
    }
    return out + std::string(backslashes * 2, '\\') + "\"";
}

} // namespace

std::string runConfigCommandLine(const RunConfig& config, bool allKeys, bool windowsQuoting,
                                 const std::string& program) {
    const RunConfig defaults;
    std::string line = (windowsQuoting ? quoteWindows(program) : quotePosix(program)) + " train";
    for (const auto& b : runs::keyBindings()) {
        const std::string value = runConfigValue(config, b.key.name);
        if (!allKeys && value == runConfigValue(defaults, b.key.name))
            continue;
        const std::string arg = b.key.name + "=" + value;
        line += " --set " + (windowsQuoting ? quoteWindows(arg) : quotePosix(arg));
    }
    return line;
}

} // namespace ps
