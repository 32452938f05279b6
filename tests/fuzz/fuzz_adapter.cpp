// libFuzzer target: what loading a PEFT adapter folder reads before any tensor math —
// adapter_config.json (adapters/adapter_config.cpp) and the adapter_model.safetensors header —
// the torch-free half of inspectAdapter(). Building the adapter layers needs LibTorch and a base
// model, so it is not fuzzed here (tst_adapter_errors covers its shape checks).
//
// Input: the adapter_config.json text, the line "--safetensors--", the safetensors file (the
// seeds of collect_seeds.sh are the fixture adapters in that form). An accepted config written
// back with adapterConfigJson() must read back as the same method and settings.
#include "adapters/adapter_config.h"
#include "fuzz_util.h"
#include "ps/adapter.h"
#include "ps/error.h"
#include "ps/safetensors.h"

namespace {

void checkConfigRoundTrip(const ps::AdapterSpec& spec) {
    const bool layered = spec.method != ps::PeftMethod::PromptTuning && spec.method != ps::PeftMethod::PrefixTuning;
    if (spec.method == ps::PeftMethod::Full || (layered && spec.targetModules.empty() && spec.targetRegex.empty()))
        return; // the planner resolves default targets before a config is ever written
    ps::adapters::AdapterPlan plan;
    plan.spec = spec;
    const std::string text = ps::adapters::adapterConfigJson(plan, "base");
    const ps::AdapterSpec again = ps::adapterSpecFromConfigJson(text, "rewritten adapter_config.json");
    PS_FUZZ_CHECK(again.method == spec.method);
    if (layered) {
        PS_FUZZ_CHECK(again.targetModules == spec.targetModules && again.targetRegex == spec.targetRegex);
        PS_FUZZ_CHECK(again.layersToTransform == spec.layersToTransform);
        PS_FUZZ_CHECK(again.modulesToSave == spec.modulesToSave);
    }
    if (spec.method == ps::PeftMethod::Lora || spec.method == ps::PeftMethod::Loha ||
        spec.method == ps::PeftMethod::Lokr) {
        PS_FUZZ_CHECK(again.r == spec.r && again.alpha == spec.alpha);
        PS_FUZZ_CHECK(again.rankPattern == spec.rankPattern && again.alphaPattern == spec.alphaPattern);
    }
    if (spec.method == ps::PeftMethod::Lora)
        PS_FUZZ_CHECK(again.useRslora == spec.useRslora && again.useDora == spec.useDora && again.bias == spec.bias);
    if (!layered)
        PS_FUZZ_CHECK(again.numVirtualTokens == spec.numVirtualTokens);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto [config, weights] = ps::fuzz::splitInput(input, "\n--safetensors--\n");
    ps::AdapterSpec spec;
    bool configOk = false;
    try {
        spec = ps::adapterSpecFromConfigJson(std::string(config), "adapter_config.json");
        configOk = true;
    } catch (const ps::Error&) {
    }
    if (configOk)
        checkConfigRoundTrip(spec);
    const std::string path = ps::fuzz::writeScratchFile("adapter_model.safetensors", weights);
    try {
        const auto file = ps::SafetensorsFile::open(path);
        std::int64_t parameters = 0;
        for (const ps::TensorInfo& t : file->tensors()) {
            PS_FUZZ_CHECK(t.numel() >= 0);
            parameters += t.numel();
        }
        PS_FUZZ_CHECK(parameters >= 0);
    } catch (const ps::Error&) {
    }
    return 0;
}
