#include "util/json_util.h"

#include "ps/error.h"
#include "util/file_util.h"

#include <cmath>

namespace ps {
namespace {

std::string lineColumn(const std::string& text, std::size_t byte) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

std::string preview(const Json& j) {
    std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (s.size() > 40)
        s = s.substr(0, 37) + "...";
    return s;
}

[[noreturn]] void wrongType(const std::string& what, const std::string& key, const char* expected, const Json& v) {
    throw Error(what + ": key '" + key + "' must be " + expected + ", found " + jsonTypeName(v) + " (" + preview(v) + ")");
}

} // namespace

std::size_t findJsonNestingOverflow(const std::string& text, int maxDepth) {
    int depth = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i; // the escaped byte cannot end the string
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > maxDepth)
                return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::string::npos;
}

void checkJsonNesting(const std::string& text, const std::string& what, int maxDepth) {
    const std::size_t at = findJsonNestingOverflow(text, maxDepth);
    if (at != std::string::npos)
        throw Error(what + ": JSON nested deeper than " + std::to_string(maxDepth) + " levels at " +
                    lineColumn(text, at) + " (refused: no real file of this kind nests that deep)");
}

std::string jsonExceptionDetail(const std::string& what) {
    // "[json.exception.out_of_range.406] number overflow parsing '1e999'" -> "number overflow ..."
    const auto close = what.find("] ");
    return what.rfind("[json.exception.", 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}

Json parseJson(const std::string& text, const std::string& what) {
    checkJsonNesting(text, what);
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& e) {
        std::string msg = e.what();
        // nlohmann messages look like "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
        const auto colon = msg.find(": ", msg.find("parse error"));
        const std::string detail = colon == std::string::npos ? msg : msg.substr(colon + 2);
        throw Error(what + ": invalid JSON at " + lineColumn(text, e.byte ? e.byte - 1 : 0) + ": " + detail);
    } catch (const Json::exception& e) {
        // A number beyond double's range ("1e999") is out_of_range.406, not a parse_error (found
        // by tests/fuzz). It carries no position; the message quotes the number.
        throw Error(what + ": invalid JSON: " + jsonExceptionDetail(e.what()));
    }
}

Json parseJsonFile(const std::string& path, std::uint64_t maxBytes) { return parseJson(readFile(path, maxBytes), path); }

std::string jsonTypeName(const Json& j) {
    switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return "binary";
    }
}

std::int64_t jsonInt(const Json& obj, const std::string& key, std::int64_t fallback, const std::string& what) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return fallback;
    if (it->is_number_integer())
        return it->get<std::int64_t>();
    if (it->is_number_float()) {
        const double d = it->get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
            return static_cast<std::int64_t>(d);
    }
    wrongType(what, key, "an integer", *it);
}

double jsonNumber(const Json& obj, const std::string& key, double fallback, const std::string& what) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return fallback;
    if (it->is_number())
        return it->get<double>();
    wrongType(what, key, "a number", *it);
}

bool jsonBool(const Json& obj, const std::string& key, bool fallback, const std::string& what) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return fallback;
    if (it->is_boolean())
        return it->get<bool>();
    wrongType(what, key, "true or false", *it);
}

std::string jsonString(const Json& obj, const std::string& key, const std::string& fallback, const std::string& what) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return fallback;
    if (it->is_string())
        return it->get<std::string>();
    wrongType(what, key, "a string", *it);
}

std::int64_t jsonRequireInt(const Json& obj, const std::string& key, const std::string& what) {
    if (!obj.contains(key) || obj.at(key).is_null())
        throw Error(what + ": missing key '" + key + "' (an integer expected)");
    return jsonInt(obj, key, 0, what);
}

std::string jsonRequireString(const Json& obj, const std::string& key, const std::string& what) {
    if (!obj.contains(key) || obj.at(key).is_null())
        throw Error(what + ": missing key '" + key + "' (a string expected)");
    return jsonString(obj, key, "", what);
}

} // namespace ps
