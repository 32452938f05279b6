// inspect: what a Hugging Face model folder holds (config.json + safetensors headers only).
#include "cli_args.h"
#include "commands.h"
#include "inspect_gguf.h"

#include "ps/error.h"
#include "ps/model_info.h"

#include <iostream>

namespace ps::cli {
namespace {

int runInspect(const Args& args) {
    CliArgs a(args, {}, {"json"});
    if (a.positionals().size() != 1)
        throw Error("inspect needs exactly one model folder (usage: inspect DIR [--json])");
    if (looksLikeGguf(a.positionals()[0]))
        return inspectGgufFile(a.positionals()[0], a.flag("json"));
    const ModelInfo info = inspectModel(a.positionals()[0]);
    if (a.flag("json")) {
        std::cout << modelInfoToJson(info) << "\n";
        return 0;
    }
    std::string modules;
    for (const auto& m : info.linearModules)
        modules += (modules.empty() ? "" : ", ") + m;
    std::cout << "Model                   " << info.path << "\n"
              << "model_type              " << info.modelType << "\n"
              << "architecture            " << (info.architecture.empty() ? "-" : info.architecture) << "\n"
              << "parameters              " << info.numParameters << "\n"
              << "layers                  " << info.numLayers << "\n"
              << "hidden size             " << info.hiddenSize << "\n"
              << "intermediate size       " << info.intermediateSize << "\n"
              << "attention heads         " << info.numAttentionHeads << " (" << info.numKeyValueHeads
              << " key/value)\n"
              << "vocabulary              " << info.vocabSize << "\n"
              << "max positions           " << info.maxPositionEmbeddings << "\n"
              << "dtype                   " << (info.torchDtype.empty() ? "-" : info.torchDtype) << "\n"
              << "tied embeddings         " << (info.tieWordEmbeddings ? "yes" : "no") << "\n"
              << "linear modules          " << modules << "\n"
              << "weights on disk         " << info.sizeOnDiskBytes << " bytes\n"
              << "tokenizer               " << (info.hasTokenizer ? "yes" : "no")
              << (info.hasChatTemplate ? " (with chat template)" : "") << "\n";
    return 0;
}

const CommandRegistration reg{{"inspect", "inspect DIR|FILE.gguf [--json]",
                               "Describe a Hugging Face model folder: architecture, sizes, parameter count, "
                               "projection modules (from config.json and the safetensors headers); or list a GGUF "
                               "file's metadata and tensors.",
                               &runInspect}};

} // namespace
} // namespace ps::cli
