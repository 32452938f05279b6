// Format detection from the fields of the first good record, with a reason a person can check:
// "records have instruction/output fields → alpaca".
#include "data/format_common.h"

namespace ps::data {
namespace {

std::string fieldPhrase(const FieldNames& n, const std::vector<std::string>& canonical, bool list) {
    std::string file, canon;
    bool mapped = false;
    for (const auto& c : canonical) {
        file += (file.empty() ? "" : "/") + n(c);
        canon += (canon.empty() ? "" : "/") + c;
        mapped = mapped || n.mapped(c);
    }
    std::string phrase =
        canonical.size() == 1 ? (list ? "a '" + file + "' list" : "a '" + file + "' field") : file + " fields";
    if (mapped)
        phrase += " (as " + canon + ")";
    return phrase;
}

FormatGuess guess(DataFormat f, const std::string& phrase) {
    return {f, "records have " + phrase + " → " + dataFormatName(f)};
}

} // namespace

FormatGuess detectFormat(const RecordJson& object, const FormatContext& ctx) {
    const auto& n = ctx.names;
    if (!object.is_object())
        throw RecordError("expected a JSON object, found " + jsonKind(object));
    auto has = [&](const char* canonical) { return object.contains(n(canonical)); };
    if (has("conversations"))
        return guess(DataFormat::ShareGpt, fieldPhrase(n, {"conversations"}, true));
    if (has("messages")) {
        // OpenAI role/content turns, or sharegpt from/value turns under the name "messages".
        const auto list = listField(object, n("messages"), false, ctx);
        if (list && !list->empty() && (*list)[0].is_object() && (*list)[0].contains("from") &&
            !(*list)[0].contains(n("role"))) {
            return {DataFormat::ShareGpt, "records have a '" + n("messages") + "' list of from/value turns → sharegpt"};
        }
        return {DataFormat::Messages, "records have a '" + n("messages") + "' list of role/content turns → messages"};
    }
    if (has("instruction"))
        return guess(DataFormat::Alpaca, has("output") ? fieldPhrase(n, {"instruction", "output"}, false)
                                                       : fieldPhrase(n, {"instruction"}, false));
    if (has("prompt"))
        return guess(DataFormat::PromptCompletion, has("completion") ? fieldPhrase(n, {"prompt", "completion"}, false)
                                                                     : fieldPhrase(n, {"prompt"}, false));
    if (has("text"))
        return guess(DataFormat::Text, fieldPhrase(n, {"text"}, false));
    throw RecordError("cannot detect the dataset format from the fields (found: " + keyList(object) +
                      "); expected instruction/output (alpaca), conversations (sharegpt), messages (messages), "
                      "prompt/completion (prompt_completion) or text (text)");
}

} // namespace ps::data
