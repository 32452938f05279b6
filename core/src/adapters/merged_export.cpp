// exportMerged: base + adapter folded into one standalone Hugging Face model folder.
#include "adapters/model_folder_writer.h"
#include "adapters/peft_model.h"
#include "io/torch_tensors.h"
#include "ps/adapter.h"
#include "ps/error.h"
#include "util/file_util.h"

namespace ps {

MergedExportReport exportMerged(const std::string& adapterDir, const std::string& baseDir, const std::string& outDir,
                                DType dtype, const MergedExportOptions& options) {
    torch::Dtype torchDtype = torch::kFloat32;
    switch (dtype) {
    case DType::F32:
        torchDtype = torch::kFloat32;
        break;
    case DType::F16:
        torchDtype = torch::kFloat16;
        break;
    case DType::BF16:
        torchDtype = torch::kBFloat16;
        break;
    default:
        throw Error(std::string("merged export: dtype ") + dtypeName(dtype) + " is not supported (F32, F16 or BF16)");
    }
    // Cheap checks first: a method that cannot merge should not cost a model load.
    const AdapterInfo info = inspectAdapter(adapterDir);
    if (!info.canMerge)
        throw Error(
            adapterDir + ": " + info.peftType +
            " adapters cannot be merged into the weights (they add virtual tokens); export them as a PEFT adapter");
    validateAdapter(adapterDir, baseDir);

    // Merge in float32 whatever the checkpoint dtype, then convert once when writing.
    model::LoadOptions load;
    load.dtype = torch::kFloat32;
    auto peft = adapters::PeftModel::load(adapterDir, model::loadCausalLM(baseDir, load));
    peft->merge();

    adapters::ModelFolderContent content;
    content.dtype = torchDtype;
    content.maxShardBytes = options.maxShardBytes;
    auto& model = peft->model();
    for (const auto& item : model->named_parameters(true))
        content.tensors.emplace_back(item.key(), item.value());
    content.config =
        parseJsonFile(joinPath(info.spec.method == PeftMethod::Full ? adapterDir : baseDir, "config.json"));
    if (peft->untied()) {
        // The adapter trained the head or the embedding of a tied model: they now differ.
        content.tensors.emplace_back("lm_head.weight", model->lmHead()->weight);
        content.config["tie_word_embeddings"] = false;
    }
    content.config["torch_dtype"] = adapters::torchDtypeName(torchDtype);
    content.copyFrom = {adapterDir, baseDir};
    return adapters::writeModelFolder(content, outDir, options.overwrite);
}

} // namespace ps
