// prompt_completion: {"prompt", "completion"} — trained on the completion, no chat template
// (TRL's "standard" prompt-completion). text: {"text"} or a plain-text file — causal LM.
#include "data/format_common.h"

namespace ps::data {

DataRecord convertPromptCompletion(const RecordJson& object, const FormatContext& ctx) {
    DataRecord rec;
    rec.kind = RecordKind::PromptCompletion;
    rec.prompt = requireString(object, ctx.names("prompt"));
    rec.completion = requireString(object, ctx.names("completion"));
    return rec;
}

DataRecord convertText(const RecordJson& object, const FormatContext& ctx) {
    DataRecord rec;
    rec.kind = RecordKind::Text;
    rec.text = requireString(object, ctx.names("text"));
    return rec;
}

} // namespace ps::data
