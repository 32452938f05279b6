// Conversation formats. sharegpt: {"conversations": [{"from": "human"|"gpt"|"system"|"user"|
// "assistant", "value": "..."}], "system"?}. OpenAI messages: {"messages": [{"role":
// "system"|"developer"|"user"|"assistant", "content": "..." or [{"type": "text", "text": ...}]}]}.
#include "data/format_common.h"

namespace ps::data {
namespace {

std::string turnWhere(const std::string& list, std::size_t i) {
    return list + "[" + std::to_string(i) + "]: ";
}

std::string textContent(const RecordJson& turn, const std::string& key, const std::string& where) {
    auto it = turn.find(key);
    if (it == turn.end())
        missingField(turn, key, where);
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_array()) { // OpenAI content parts: only text parts can be trained on
        std::string text;
        for (const auto& part : *it) {
            if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
                !part["text"].is_string())
                throw RecordError(where + "field '" + key +
                                  "' holds a part that is not {\"type\": \"text\", \"text\": ...}");
            text += part["text"].get<std::string>();
        }
        return text;
    }
    throw RecordError(where + "field '" + key + "' must be a string, found " + jsonKind(*it));
}

std::vector<ChatMessage> readTurns(const RecordJson& list, const std::string& listName, const std::string& roleKey,
                                   const std::string& altRoleKey, const std::string& contentKey,
                                   const std::string& altContentKey, bool shareGpt) {
    std::vector<ChatMessage> out;
    out.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        const RecordJson& t = list[i];
        const std::string where = turnWhere(listName, i);
        if (!t.is_object())
            throw RecordError(where + "expected an object, found " + jsonKind(t));
        // A turn may use either key pair (sharegpt files sometimes carry role/content).
        const bool primary = t.contains(roleKey) || altRoleKey.empty() || !t.contains(altRoleKey);
        const std::string rk = primary ? roleKey : altRoleKey;
        const std::string ck = primary ? contentKey : altContentKey;
        const std::string role = requireString(t, rk, where);
        std::string mapped;
        if (role == "user" || (shareGpt && role == "human"))
            mapped = "user";
        else if (role == "assistant" || (shareGpt && role == "gpt"))
            mapped = "assistant";
        else if (role == "system" || (!shareGpt && role == "developer"))
            mapped = "system";
        else
            throw RecordError(where + "unknown role '" + role + "' (expected " +
                              (shareGpt ? "human, gpt, system, user or assistant" : "system, user or assistant") + ")");
        out.push_back({mapped, textContent(t, ck, where)});
    }
    return out;
}

} // namespace

DataRecord convertShareGpt(const RecordJson& object, const FormatContext& ctx) {
    const auto& n = ctx.names;
    // Detection may pick sharegpt for a "messages" list of from/value turns.
    std::string listName = n("conversations");
    if (!object.contains(listName) && !ctx.names.mapped("conversations") && object.contains(n("messages")))
        listName = n("messages");
    const RecordJson list = *listField(object, listName, true, ctx);
    const bool mappedRole = n.mapped("role"), mappedContent = n.mapped("content");
    DataRecord rec;
    rec.kind = RecordKind::Conversation;
    if (auto system = optionalString(object, n("system")); system && !system->empty())
        rec.messages.push_back({"system", *system});
    auto turns = readTurns(list, listName, mappedRole ? n("role") : "from", mappedRole ? "" : "role",
                           mappedContent ? n("content") : "value", mappedContent ? "" : "content", true);
    if (!rec.messages.empty() && !turns.empty() && turns[0].role == "system")
        throw RecordError(listName + "[0]: a system turn and a 'system' field; keep one");
    rec.messages.insert(rec.messages.end(), turns.begin(), turns.end());
    validateConversation(rec.messages, listName);
    return rec;
}

DataRecord convertMessages(const RecordJson& object, const FormatContext& ctx) {
    const auto& n = ctx.names;
    const std::string listName = n("messages");
    const RecordJson list = *listField(object, listName, true, ctx);
    DataRecord rec;
    rec.kind = RecordKind::Conversation;
    rec.messages = readTurns(list, listName, n("role"), "", n("content"), "", false);
    validateConversation(rec.messages, listName);
    return rec;
}

} // namespace ps::data
