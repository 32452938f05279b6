#include "data/format_common.h"

#include "util/json_util.h"

namespace ps::data {

std::string jsonKind(const RecordJson& v) {
    switch (v.type()) {
    case RecordJson::value_t::null:
        return "null";
    case RecordJson::value_t::boolean:
        return "boolean";
    case RecordJson::value_t::number_integer:
    case RecordJson::value_t::number_unsigned:
    case RecordJson::value_t::number_float:
        return "number";
    case RecordJson::value_t::string:
        return "string";
    case RecordJson::value_t::array:
        return "array";
    case RecordJson::value_t::object:
        return "object";
    default:
        return "binary";
    }
}

std::string keyList(const RecordJson& object) {
    std::string out;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!out.empty())
            out += ", ";
        out += it.key();
    }
    return out.empty() ? "no fields" : out;
}

void missingField(const RecordJson& object, const std::string& name, const std::string& where) {
    throw RecordError(where + "expected field '" + name + "' (found: " + keyList(object) + ")");
}

std::string requireString(const RecordJson& object, const std::string& name, const std::string& where) {
    auto it = object.find(name);
    if (it == object.end())
        missingField(object, name, where);
    if (!it->is_string())
        throw RecordError(where + "field '" + name + "' must be a string, found " + jsonKind(*it));
    return it->get<std::string>();
}

std::optional<std::string> optionalString(const RecordJson& object, const std::string& name, const std::string& where) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null())
        return std::nullopt;
    if (!it->is_string())
        throw RecordError(where + "field '" + name + "' must be a string, found " + jsonKind(*it));
    return it->get<std::string>();
}

std::optional<RecordJson> listField(const RecordJson& object, const std::string& name, bool required,
                                    const FormatContext& ctx) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null() ||
        (ctx.cellsAreText && it->is_string() && it->get_ref<const std::string&>().empty())) {
        if (required)
            missingField(object, name);
        return std::nullopt;
    }
    if (it->is_array())
        return *it;
    if (ctx.cellsAreText && it->is_string()) {
        if (findJsonNestingOverflow(it->get_ref<const std::string&>()) != std::string::npos)
            throw RecordError("field '" + name + "' nests JSON deeper than " + std::to_string(kMaxJsonDepth) +
                              " levels (refused)");
        try {
            RecordJson parsed = RecordJson::parse(it->get_ref<const std::string&>());
            if (parsed.is_array())
                return parsed;
            throw RecordError("field '" + name + "' must hold a JSON list, found " + jsonKind(parsed));
        } catch (const RecordJson::exception&) { // parse_error, or out_of_range for "1e999"
            throw RecordError("field '" + name + "' must hold a JSON list; its text is not valid JSON");
        }
    }
    throw RecordError("field '" + name + "' must be a list, found " + jsonKind(*it));
}

void validateConversation(const std::vector<ChatMessage>& m, const std::string& list) {
    if (m.empty())
        throw RecordError("'" + list + "' is empty");
    std::size_t first = 0;
    if (m[0].role == "system")
        first = 1;
    for (std::size_t i = 1; i < m.size(); ++i)
        if (m[i].role == "system")
            throw RecordError(list + "[" + std::to_string(i) + "]: a system turn is only allowed first");
    if (first == m.size())
        throw RecordError("'" + list + "' has only a system turn; expected user and assistant turns");
    if (m[first].role != "user")
        throw RecordError(list + "[" + std::to_string(first) +
                          "]: the first turn must be from the user (found: " + m[first].role + ")");
    if (m.back().role != "assistant")
        throw RecordError("the conversation must end with an assistant turn (last: " + m.back().role + ")");
}

} // namespace ps::data
