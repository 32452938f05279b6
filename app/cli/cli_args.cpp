#include "cli_args.h"

#include "ps/error.h"

#include <cstdlib>

namespace ps::cli {

CliArgs::CliArgs(const std::vector<std::string>& args, const std::set<std::string>& valueOptions,
                 const std::set<std::string>& flagOptions, const std::set<std::string>& repeatable) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string name = a.substr(2);
            std::optional<std::string> inlineValue;
            if (auto eq = name.find('='); eq != std::string::npos) {
                inlineValue = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            if (flagOptions.count(name)) {
                if (inlineValue)
                    throw Error("option --" + name + " takes no value");
                flags_.insert(name);
            } else if (valueOptions.count(name)) {
                std::string v;
                if (inlineValue) {
                    v = *inlineValue;
                } else {
                    if (i + 1 >= args.size())
                        throw Error("option --" + name + " needs a value");
                    v = args[++i];
                }
                auto& slot = values_[name];
                if (!slot.empty() && !repeatable.count(name))
                    throw Error("option --" + name + " given more than once");
                slot.push_back(v);
            } else {
                throw Error("unknown option --" + name);
            }
        } else {
            positionals_.push_back(a);
        }
    }
}

std::optional<std::string> CliArgs::value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty())
        return std::nullopt;
    return it->second.back();
}

std::vector<std::string> CliArgs::values(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string CliArgs::require(const std::string& name) const {
    auto v = value(name);
    if (!v)
        throw Error("missing required option --" + name);
    return *v;
}

long long CliArgs::intValue(const std::string& name, long long fallback) const {
    auto v = value(name);
    if (!v)
        return fallback;
    char* end = nullptr;
    const long long r = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0')
        throw Error("option --" + name + " expects an integer, got '" + *v + "'");
    return r;
}

double CliArgs::doubleValue(const std::string& name, double fallback) const {
    auto v = value(name);
    if (!v)
        return fallback;
    char* end = nullptr;
    const double r = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0')
        throw Error("option --" + name + " expects a number, got '" + *v + "'");
    return r;
}

} // namespace ps::cli
