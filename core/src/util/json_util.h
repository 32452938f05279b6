#pragma once
// JSON helpers: parse with an error that names the file and line, and typed field access with
// an error that names the file, the key, what was expected and what was found.
#include "ps/json_nesting.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace ps {

using Json = nlohmann::json;

// Parses `text`; `what` (usually the file path) prefixes any error, with the line and column.
// Nesting deeper than kMaxJsonDepth is refused (checkJsonNesting, ps/json_nesting.h).
Json parseJson(const std::string& text, const std::string& what);
// nlohmann's exception text without its "[json.exception.<kind>.<id>] " prefix.
std::string jsonExceptionDetail(const std::string& what);
Json parseJsonFile(const std::string& path, std::uint64_t maxBytes = 256ull << 20);

// "string", "integer", "number", "boolean", "array", "object", "null".
std::string jsonTypeName(const Json& j);

// Typed getters for config objects. `what` names the file. A missing key returns `fallback`;
// a present key of the wrong type throws "<what>: key 'k' must be <type>, found <type> (<value>)".
std::int64_t jsonInt(const Json& obj, const std::string& key, std::int64_t fallback, const std::string& what);
double jsonNumber(const Json& obj, const std::string& key, double fallback, const std::string& what);
bool jsonBool(const Json& obj, const std::string& key, bool fallback, const std::string& what);
std::string jsonString(const Json& obj, const std::string& key, const std::string& fallback, const std::string& what);
// Required variants throw "<what>: missing key 'k' (<type> expected)".
std::int64_t jsonRequireInt(const Json& obj, const std::string& key, const std::string& what);
std::string jsonRequireString(const Json& obj, const std::string& key, const std::string& what);

} // namespace ps
