#pragma once
// JSON helpers: parse with an error that names the file and line, and typed field access with
// an error that names the file, the key, what was expected and what was found.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace ps {

using Json = nlohmann::json;

// Deepest nesting of arrays / objects accepted in any JSON we read. Real files nest a handful
// of levels (tokenizer.json about 6, a ShareGPT record 3). nlohmann's parser itself is iterative,
// but copying, dumping and comparing a value recurse once per level, so a hostile file nested
// 10^5 deep would overflow the stack later; it is refused up front instead.
constexpr int kMaxJsonDepth = 512;

// The byte offset where `text` first nests arrays / objects deeper than maxDepth (strings
// skipped), or std::string::npos. One linear pass, no allocation.
std::size_t findJsonNestingOverflow(const std::string& text, int maxDepth = kMaxJsonDepth);

// Throws "<what>: JSON nested deeper than 512 levels at line L, column C" when `text` nests
// arrays / objects deeper than maxDepth.
void checkJsonNesting(const std::string& text, const std::string& what, int maxDepth = kMaxJsonDepth);

// Parses `text`; `what` (usually the file path) prefixes any error, with the line and column.
// Nesting deeper than kMaxJsonDepth is refused (checkJsonNesting).
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
