// The text form of a column mapping (the dataset_columns key): "instruction=question,output=answer".
// Which canonical names exist is checked where the mapping is used (record_stream.cpp).
#include "ps/dataset.h"

#include <algorithm>

namespace ps {
namespace {

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

} // namespace

std::map<std::string, std::string> parseColumnMapping(const std::string& text, const std::string& what) {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = std::min(text.find(',', pos), text.size());
        const std::string item = trimmed(text.substr(pos, comma - pos));
        pos = comma + 1;
        if (item.empty())
            continue;
        const std::size_t eq = item.find('=');
        const std::string canonical = eq == std::string::npos ? std::string() : trimmed(item.substr(0, eq));
        const std::string column = eq == std::string::npos ? std::string() : trimmed(item.substr(eq + 1));
        if (canonical.empty() || column.empty())
            throw Error(what + ": '" + item + "' is not field=column (e.g. instruction=question)");
        if (out.count(canonical))
            throw Error(what + ": field '" + canonical + "' is mapped twice");
        out[canonical] = column;
    }
    return out;
}

std::string columnMappingText(const std::map<std::string, std::string>& columns) {
    std::string out;
    for (const auto& [canonical, column] : columns)
        out += (out.empty() ? "" : ",") + canonical + "=" + column;
    return out;
}

} // namespace ps
