#include "ps/demo.h"

namespace ps {

RunConfig demoRunConfig(const std::string& modelDir, const std::string& datasetPath) {
    RunConfig c;
    c.model_name_or_path = modelDir;
    c.dataset = datasetPath;
    c.dataset_format = "alpaca";
    c.template_ = "alpaca";
    c.finetuning_type = "lora";
    c.lora_rank = 8;
    c.lora_alpha = 16;
    c.lora_target = "all";
    c.learning_rate = 2e-3;
    c.max_steps = 120;
    c.per_device_train_batch_size = 4;
    c.gradient_accumulation_steps = 1;
    c.lr_scheduler_type = "cosine";
    c.warmup_ratio = 0.05;
    c.cutoff_len = 256;
    c.packing = true;
    c.val_size = 0.1;
    c.eval_steps = 20;
    c.logging_steps = 5;
    c.save_steps = 60;
    c.seed = 42;
    c.run_name = "demo";
    return c;
}

} // namespace ps
