#include "generate/generation_config.h"

#include "ps/error.h"
#include "util/file_util.h"
#include "util/json_util.h"

namespace ps {

const char* generationStopName(GenerationStop stop) {
    switch (stop) {
    case GenerationStop::MaxNewTokens:
        return "max_new_tokens";
    case GenerationStop::Eos:
        return "eos";
    case GenerationStop::EndOfTurn:
        return "end_of_turn";
    case GenerationStop::StopString:
        return "stop_string";
    case GenerationStop::Cancelled:
        return "cancelled";
    case GenerationStop::ContextFull:
        return "context_full";
    }
    return "max_new_tokens";
}

GenerationOptions generationDefaults(const std::string& modelDir) {
    GenerationOptions o;
    const std::string path = joinPath(modelDir, "generation_config.json");
    if (!isRegularFile(path))
        return o;
    const Json j = parseJsonFile(path);
    if (!j.is_object())
        throw Error(path + ": expected a JSON object, found " + jsonTypeName(j));
    // transformers' GenerationConfig defaults: greedy unless do_sample; when sampling,
    // temperature 1, top_k 50, top_p 1. A key set to null keeps the default.
    auto number = [&](const char* key, double fallback) {
        const auto it = j.find(key);
        return it == j.end() || it->is_null() ? fallback : jsonNumber(j, key, fallback, path);
    };
    const bool sample = j.contains("do_sample") && !j["do_sample"].is_null() && jsonBool(j, "do_sample", false, path);
    o.sampling.temperature = sample ? number("temperature", 1.0) : 0.0;
    o.sampling.topK = sample ? static_cast<std::int64_t>(number("top_k", 50.0)) : 0;
    o.sampling.topP = number("top_p", 1.0);
    o.sampling.minP = number("min_p", 0.0);
    o.sampling.repetitionPenalty = number("repetition_penalty", 1.0);
    if (const auto it = j.find("max_new_tokens"); it != j.end() && !it->is_null())
        o.maxNewTokens = jsonInt(j, "max_new_tokens", o.maxNewTokens, path);
    return o;
}

namespace gen {

std::vector<std::int32_t> generationConfigEosIds(const std::string& modelDir) {
    const std::string path = joinPath(modelDir, "generation_config.json");
    if (!isRegularFile(path))
        return {};
    const Json j = parseJsonFile(path);
    const auto it = j.is_object() ? j.find("eos_token_id") : j.end();
    if (it == j.end() || it->is_null())
        return {};
    std::vector<std::int32_t> ids;
    const auto add = [&](const Json& v) {
        if (!v.is_number_integer())
            throw Error(path + ": key 'eos_token_id' must be an integer or a list of integers");
        ids.push_back(v.get<std::int32_t>());
    };
    if (it->is_array())
        for (const auto& v : *it)
            add(v);
    else
        add(*it);
    return ids;
}

std::string endOfTurnToken(ChatFamily family) {
    switch (family) {
    case ChatFamily::ChatML:
        return "<|im_end|>";
    case ChatFamily::Llama3:
        return "<|eot_id|>";
    case ChatFamily::Gemma:
        return "<end_of_turn>";
    case ChatFamily::Phi3:
        return "<|end|>";
    default:
        return "";
    }
}

} // namespace gen
} // namespace ps
