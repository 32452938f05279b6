// exportPeftAdapter: a clean HF PEFT folder, checked by loading it back before it is placed.
#include "adapters/adapter_config.h"
#include "adapters/adapter_plan.h"
#include "adapters/model_skeleton.h"
#include "adapters/peft_model.h"
#include "export/staged_folder.h"
#include "io/torch_tensors.h"
#include "model/causal_lm.h"
#include "ps/error.h"
#include "ps/export.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <algorithm>
#include <map>

namespace ps {
namespace {

// Loads the written folder with core's adapter loader (which validates every tensor name and
// shape against the plan built from the real model) and checks that what it loaded is exactly
// the source's tensors, converted as the loader converts them.
void verifyByLoading(const std::string& writtenDir, const std::string& baseDir,
                     const std::shared_ptr<const SafetensorsFile>& source) {
    // The checkpoint's own dtype keeps the base a zero-copy view of the mapped weights: the
    // check costs the adapter's memory, not the model's.
    auto pm = adapters::PeftModel::load(writtenDir, model::loadCausalLM(baseDir));
    const auto written = SafetensorsFile::open(joinPath(writtenDir, "adapter_model.safetensors"));
    if (written->tensors().size() != pm->tensors().size())
        throw Error(writtenDir + ": the exported adapter has " + std::to_string(written->tensors().size()) +
                    " tensors, the loader expects " + std::to_string(pm->tensors().size()));
    for (const auto& [key, loaded] : pm->tensors()) {
        const TensorInfo* info = source->find(key);
        if (!info)
            throw Error(writtenDir + ": the exported adapter has tensor '" + key + "' that the source lacks");
        const TensorInfo* out = written->find(key);
        if (!out || out->dtype != info->dtype || out->shape != info->shape)
            throw Error(writtenDir + ": tensor '" + key + "' was not written as it is in the source");
        const auto expected = tensorFromFile(source, *info).to(loaded.scalar_type());
        if (!torch::equal(loaded.detach().cpu(), expected))
            throw Error(writtenDir + ": tensor '" + key + "' does not load back with the source's values");
    }
}

} // namespace

PeftExportReport exportPeftAdapter(const std::string& sourcePath, const std::string& baseDir, const std::string& outDir,
                                   const PeftExportOptions& options) {
    const ExportSource src = resolveExportSource(sourcePath);
    const std::string base = !baseDir.empty() ? baseDir : src.baseHint;
    if (base.empty() || !isDirectory(base))
        throw Error(sourcePath + ": the peft export needs the base model folder (--base MODEL_DIR)" +
                    (base.empty() ? std::string() : "; '" + base + "' is not a folder"));
    const AdapterInfo info = inspectAdapter(src.adapterDir);
    if (info.spec.method == PeftMethod::Full)
        throw Error(src.adapterDir + ": a full fine-tune is a whole model, not a PEFT adapter; export it with "
                                     "--format merged");
    validateAdapter(src.adapterDir, base);

    const std::string configPath = joinPath(src.adapterDir, "adapter_config.json");
    const AdapterSpec spec = adapters::adapterSpecFromJson(parseJsonFile(configPath), configPath);
    adapters::AdapterPlan plan;
    try {
        plan = adapters::planAdapter(adapters::skeletonFromDir(base), spec);
    } catch (const Error& e) {
        throw Error(configPath + ": " + e.what());
    }
    // The source's name for the base wins (it may be a hub id); a path is reduced to a name.
    const std::string baseName =
        adapters::portableBaseModelName(!spec.baseModelNameOrPath.empty() ? spec.baseModelNameOrPath : base);

    const auto source = SafetensorsFile::open(joinPath(src.adapterDir, "adapter_model.safetensors"));
    std::vector<TensorToWrite> tensors;
    PeftExportReport report;
    for (const auto& planned : plan.tensors) { // sorted by key, as peft's state dict is saved
        const TensorInfo* t = source->find(planned.key);
        if (!t) // validateAdapter already checked; keep the guard for a file changed meanwhile
            throw Error(source->path() + ": missing tensor '" + planned.key + "'");
        tensors.push_back({t->name, t->dtype, t->shape, source->data(*t)});
        report.numParameters += t->numel();
    }

    exporting::StagedFolder folder(outDir, options.overwrite);
    writeFileAtomic(folder.file("adapter_config.json"), adapters::adapterConfigJson(plan, baseName));
    writeSafetensors(folder.file("adapter_model.safetensors"), tensors);
    writeFileAtomic(folder.file("README.md"), adapterModelCard(src, baseName));
    verifyByLoading(folder.path(), base, source);
    folder.commit();

    report.outDir = outDir;
    report.files = {"README.md", "adapter_config.json", "adapter_model.safetensors"};
    report.method = peftMethodName(spec.method);
    report.baseModelName = baseName;
    report.numTensors = static_cast<std::int64_t>(tensors.size());
    return report;
}

} // namespace ps
