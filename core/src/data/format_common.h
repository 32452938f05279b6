#pragma once
// Shared pieces of the record formats (format_*.cpp): field access through the user's column
// mapping, and error messages that say what was expected and what the record has.
#include "data/record_source.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

namespace ps::data {

// Records keep their keys in file order so "found: ..." lists them as the user wrote them.
using RecordJson = nlohmann::ordered_json;

// Canonical field name -> the name used in the file (ReadOptions::columns).
class FieldNames final {
public:
    FieldNames() = default;
    explicit FieldNames(std::map<std::string, std::string> mapping) : map_(std::move(mapping)) {}
    std::string operator()(const std::string& canonical) const {
        auto it = map_.find(canonical);
        return it == map_.end() ? canonical : it->second;
    }
    bool mapped(const std::string& canonical) const { return map_.count(canonical) != 0; }
    const std::map<std::string, std::string>& mapping() const { return map_; }

private:
    std::map<std::string, std::string> map_;
};

struct FormatContext {
    FieldNames names;
    bool cellsAreText = false; // CSV/TSV: lists (history, conversations, messages) arrive as JSON text
};

std::string jsonKind(const RecordJson& value); // "string", "number", "array", ...
std::string keyList(const RecordJson& object); // "instruction, input" (file order)

[[noreturn]] void missingField(const RecordJson& object, const std::string& name, const std::string& where = "");
// A string field: missing -> "expected field 'x' (found: ...)"; another type -> "field 'x' must be a string, found
// number".
std::string requireString(const RecordJson& object, const std::string& name, const std::string& where = "");
// Missing or null -> nullopt.
std::optional<std::string> optionalString(const RecordJson& object, const std::string& name,
                                          const std::string& where = "");
// A list field (history, conversations, messages); in CSV cells the list is JSON text.
// Missing/null -> nullopt when optional.
std::optional<RecordJson> listField(const RecordJson& object, const std::string& name, bool required,
                                    const FormatContext& ctx);

// Checks the turn structure every conversation format shares; `list` names the field in messages.
void validateConversation(const std::vector<ChatMessage>& messages, const std::string& list);

DataRecord convertAlpaca(const RecordJson& object, const FormatContext& ctx);
DataRecord convertShareGpt(const RecordJson& object, const FormatContext& ctx);
DataRecord convertMessages(const RecordJson& object, const FormatContext& ctx);
DataRecord convertPromptCompletion(const RecordJson& object, const FormatContext& ctx);
DataRecord convertText(const RecordJson& object, const FormatContext& ctx);

struct FormatGuess {
    DataFormat format = DataFormat::Auto;
    std::string reason;
};
// Looks at one record's fields. Throws RecordError when no format fits.
FormatGuess detectFormat(const RecordJson& object, const FormatContext& ctx);

} // namespace ps::data
