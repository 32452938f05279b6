// alpaca: {"instruction", "input"?, "output", "system"?, "history"?: [[user, assistant], ...]}.
// The user turn is the instruction and the input joined by a line break (LLaMA-Factory's
// convention), after the history turns.
#include "data/format_common.h"

namespace ps::data {

DataRecord convertAlpaca(const RecordJson& object, const FormatContext& ctx) {
    const auto& n = ctx.names;
    // Check in the order a user reads the record: instruction, then output.
    const std::string instruction = requireString(object, n("instruction"));
    const std::string output = requireString(object, n("output"));
    const std::optional<std::string> input = optionalString(object, n("input"));
    const std::optional<std::string> system = optionalString(object, n("system"));
    const std::optional<RecordJson> history = listField(object, n("history"), false, ctx);

    DataRecord rec;
    rec.kind = RecordKind::Conversation;
    if (system && !system->empty())
        rec.messages.push_back({"system", *system});
    if (history) {
        for (std::size_t i = 0; i < history->size(); ++i) {
            const RecordJson& pair = (*history)[i];
            if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
                throw RecordError("field '" + n("history") +
                                  "' must be a list of [user, assistant] string pairs; item " + std::to_string(i) +
                                  " is " +
                                  (pair.is_array() ? "a list of " + std::to_string(pair.size()) : jsonKind(pair)));
            rec.messages.push_back({"user", pair[0].get<std::string>()});
            rec.messages.push_back({"assistant", pair[1].get<std::string>()});
        }
    }
    std::string user = instruction;
    if (input && !input->empty())
        user += user.empty() ? *input : "\n" + *input;
    rec.messages.push_back({"user", std::move(user)});
    rec.messages.push_back({"assistant", output});
    return rec;
}

} // namespace ps::data
