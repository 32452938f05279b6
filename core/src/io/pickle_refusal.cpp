// Refusing PyTorch pickle checkpoints (ps/safetensors.h): the name test and the message with a
// one-line conversion command, shared by the safetensors reader, the model folder loader and the
// adapter loader.
#include "ps/safetensors.h"

#include <cstring>

namespace ps {

bool isPickleWeightsName(const std::string& fileName) {
    auto endsWith = [&](const char* suffix) {
        const std::size_t n = std::strlen(suffix);
        return fileName.size() >= n && fileName.compare(fileName.size() - n, n, suffix) == 0;
    };
    return endsWith(".bin") || endsWith(".pt") || endsWith(".pth") || endsWith(".ckpt");
}

std::string pickleRefusalMessage(const std::string& path) {
    const std::string out = path.substr(0, path.rfind('.')) + ".safetensors";
    return path +
           ": a pickled PyTorch checkpoint, which PEFT Studio never loads (unpickling can run arbitrary code). "
           "Convert it once to safetensors: python -c \"import torch; from safetensors.torch import save_file; "
           "save_file(torch.load('" +
           path + "', map_location='cpu', weights_only=True), '" + out +
           "')\" (a whole model folder: AutoModelForCausalLM.from_pretrained(DIR).save_pretrained(DIR, "
           "safe_serialization=True))";
}

} // namespace ps
