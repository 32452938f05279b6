// PEFT method names (ps/adapter.h): peft_type spellings <-> PeftMethod. Apart from the rest of
// the adapter API so that adapter_config.json parsing links without the planner (and torch):
// the fuzz targets (tests/fuzz) and the torch-free ps_adapter_config library need only this.
#include "ps/adapter.h"
#include "ps/error.h"

#include <cctype>
#include <string>

namespace ps {
namespace {

struct MethodName {
    PeftMethod method;
    const char* name;
};
const MethodName kMethods[] = {{PeftMethod::Lora, "LORA"},
                               {PeftMethod::Ia3, "IA3"},
                               {PeftMethod::Loha, "LOHA"},
                               {PeftMethod::Lokr, "LOKR"},
                               {PeftMethod::PromptTuning, "PROMPT_TUNING"},
                               {PeftMethod::PrefixTuning, "PREFIX_TUNING"},
                               {PeftMethod::Full, "FULL"}};

} // namespace

const char* peftMethodName(PeftMethod method) {
    for (const auto& m : kMethods)
        if (m.method == method)
            return m.name;
    return "?";
}

PeftMethod parsePeftMethod(const std::string& name) {
    std::string upper;
    for (const char c : name)
        upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "PROMPT")
        upper = "PROMPT_TUNING";
    if (upper == "PREFIX")
        upper = "PREFIX_TUNING";
    for (const auto& m : kMethods)
        if (upper == m.name)
            return m.method;
    std::string known;
    for (const auto& m : kMethods)
        known += (known.empty() ? "" : ", ") + std::string(m.name);
    throw Error("unknown PEFT method '" + name + "' (supported: " + known + ")");
}

bool peftMethodCanMerge(PeftMethod method) {
    return method != PeftMethod::PromptTuning && method != PeftMethod::PrefixTuning;
}

} // namespace ps
