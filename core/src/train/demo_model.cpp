// The demo model: created once per user, pre-trained briefly on the bundled corpus.
#include "ps/demo.h"

#include "ps/error.h"
#include "ps/model_presets.h"
#include "ps/resources.h"
#include "ps/trainer.h"
#include "util/file_util.h"
#include "util/json_util.h"

#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace ps {

RunConfig demoPretrainConfig(const std::string& modelDir, const std::string& corpusPath, std::int64_t steps) {
    RunConfig c;
    c.model_name_or_path = modelDir;
    c.dataset = corpusPath;
    c.dataset_format = "text";
    c.finetuning_type = "full";
    c.learning_rate = 3e-3;
    c.weight_decay = 0.0;
    c.max_steps = steps;
    c.per_device_train_batch_size = 8;
    c.gradient_accumulation_steps = 1;
    c.lr_scheduler_type = "cosine";
    c.warmup_steps = std::max<std::int64_t>(1, steps / 20);
    c.cutoff_len = 128;
    c.packing = true;
    c.train_on_prompt = true;
    c.logging_steps = 10;
    c.save_steps = steps + 1; // only the final model
    c.seed = 0;
    c.run_name = "demo-pretraining";
    return c;
}

namespace {

// Written into the demo model folder: how it was made. A folder without it (made by an older
// version, when the demo model was left randomly initialised) or with fewer pre-training steps
// than asked for is made again, so a user never keeps a demo that cannot learn anything.
constexpr const char* kDemoMarker = "peft_studio_demo.json";
constexpr int kDemoRecipe = 2; // bump when the demo model's shape, data or recipe changes

bool demoModelIsCurrent(const fs::path& dir, std::int64_t pretrainSteps) {
    if (!fs::exists(dir / "config.json"))
        return false;
    if (pretrainSteps == 0)
        return true; // any demo model will do (tests, or a user who asked for no pre-training)
    try {
        const Json m = parseJsonFile((dir / kDemoMarker).string(), 1 << 16);
        return m.value("recipe", 0) == kDemoRecipe && m.value("pretrain_steps", std::int64_t(0)) >= pretrainSteps;
    } catch (const Error&) {
        return false; // no marker or unreadable: made by an older version
    }
}

} // namespace

bool demoModelReady(std::int64_t pretrainSteps) {
    return demoModelIsCurrent(demoModelDir(), pretrainSteps);
}

std::string demoModelDir() {
    return (fs::path(userDataDir()) / "demo-model").string();
}

std::string ensureDemoModel(const std::string& demoResources, TrainerObserver& observer, std::int64_t pretrainSteps) {
    const fs::path target = demoModelDir();
    if (demoModelIsCurrent(target, pretrainSteps))
        return target.string();
    const fs::path tokenizer = fs::path(demoResources) / "tokenizer";
    const fs::path corpus = fs::path(demoResources) / "corpus.txt";
    if (!fs::exists(tokenizer / "tokenizer.json"))
        throw Error(tokenizer.string() + ": the demo tokenizer is missing (expected tokenizer.json)");
    const fs::path work = fs::path(userDataDir()) / ".demo-model-work";
    std::error_code ec;
    removeTree(work, ec);
    fs::create_directories(work);
    const fs::path fresh = work / "random-init";
    initModel("demo-tiny", tokenizer.string(), fresh.string(), 0, true);
    fs::path made = fresh;
    if (pretrainSteps > 0 && fs::exists(corpus)) {
        RunConfig c = demoPretrainConfig(fresh.string(), corpus.string(), pretrainSteps);
        c.output_dir = (work / "runs").string();
        StopToken stop;
        Trainer trainer;
        const RunSummary s = trainer.run(c, observer, stop);
        if (s.status != RunStatus::Completed)
            throw Error("pre-training the demo model failed: " + s.error);
        made = runAdapterDir(s.runDir); // full training saves a complete model folder
    }
    const std::int64_t trainedSteps = (pretrainSteps > 0 && fs::exists(corpus)) ? pretrainSteps : 0;
    writeFileAtomic((made / kDemoMarker).string(),
                    Json{{"recipe", kDemoRecipe}, {"preset", "demo-tiny"}, {"pretrain_steps", trainedSteps}}.dump(2) + "\n");
    fs::create_directories(target.parent_path());
    if (fs::exists(target)) { // an outdated demo model: moved aside, then removed
        const fs::path old = work / "outdated";
        fs::rename(target, old, ec);
        if (ec)
            throw Error("cannot replace the outdated demo model in " + target.string() + ": " + ec.message());
    }
    fs::rename(made, target, ec);
    if (ec && !fs::exists(target / "config.json"))
        throw Error("cannot move the demo model into " + target.string() + ": " + ec.message());
    removeTree(work, ec);
    return target.string();
}

} // namespace ps
