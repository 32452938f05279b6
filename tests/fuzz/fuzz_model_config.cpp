// libFuzzer target: config.json of a model folder (model/model_config.cpp) and inspectModel
// (ps/model_info.h). The input is the config.json text; the folder also holds a fixed one-tensor
// model.safetensors. An accepted config must have the shape facts the model code divides by.
#include "fuzz_util.h"
#include "model/model_config.h"
#include "ps/error.h"
#include "ps/model_info.h"
#include "ps/safetensors.h"

namespace {

const std::string& modelDir() {
    static const std::string dir = [] {
        const std::string d = (ps::fuzz::scratchDir() / "model").string();
        std::filesystem::create_directories(d);
        const float embedding[4] = {1, 2, 3, 4};
        ps::writeSafetensors(d + "/model.safetensors",
                             {{"model.embed_tokens.weight", ps::DType::F32, {2, 2}, embedding}});
        return d;
    }();
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string dir = modelDir();
    ps::fuzz::writeScratchFile("model/config.json", data, size);
    ps::model::ModelConfig c;
    try {
        c = ps::model::loadModelConfig(dir);
    } catch (const ps::Error&) {
        return 0;
    }
    PS_FUZZ_CHECK(c.vocabSize > 0 && c.hiddenSize > 0 && c.numLayers > 0 && c.intermediateSize > 0);
    PS_FUZZ_CHECK(c.numHeads > 0 && c.numKvHeads > 0 && c.numHeads % c.numKvHeads == 0);
    PS_FUZZ_CHECK(c.headDim > 0 && c.maxPositionEmbeddings > 0 && c.normEps > 0);
    if (c.family == ps::model::Family::Llama) {
        PS_FUZZ_CHECK(c.rotaryDim() > 0 && c.rotaryDim() % 2 == 0 && c.rotaryDim() <= c.headDim);
        PS_FUZZ_CHECK(c.ropeTheta > 0);
    }
    PS_FUZZ_CHECK(!ps::model::linearModuleNames(c).empty());
    // The same text through the public entry point (config + safetensors headers).
    const ps::ModelInfo info = ps::inspectModel(dir);
    PS_FUZZ_CHECK(info.modelType == c.modelType && info.numLayers == c.numLayers);
    PS_FUZZ_CHECK(!ps::modelInfoToJson(info).empty());
    return 0;
}
