#pragma once
// Shared set-up for the trainer suites: a tiny randomly initialised Llama-architecture model with
// the GPT-2 tokenizer fixture, a small generated Alpaca dataset, and an observer that records
// what the trainer reports.
#include "ps/model_presets.h"
#include "ps/run_config.h"
#include "ps/trainer.h"

#include <QTemporaryDir>

#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace ps::test {

// Writes `n` Alpaca records whose answers follow a few fixed patterns (learnable in a few steps)
// with varied lengths.
inline std::string writeAlpacaData(const std::string& dir, int n, const std::string& name = "data.jsonl") {
    static const char* subjects[] = {"the sun", "a cat", "rain", "the river", "an old map", "music", "bread"};
    static const char* verbs[] = {"warms", "watches", "falls on", "runs past", "shows", "fills", "feeds"};
    const std::string path = dir + "/" + name;
    std::ofstream out(path);
    for (int i = 0; i < n; ++i) {
        const std::string s = subjects[i % 7];
        const std::string v = verbs[(i * 3) % 7];
        std::string answer = "Sure. " + s + " " + v + " the town";
        for (int k = 0; k < i % 4; ++k)
            answer += ", and " + s + " " + v + " the hills";
        answer += ".";
        out << "{\"instruction\": \"Write a sentence about " << s << ".\", \"input\": \"" << (i % 3 == 0 ? "short" : "")
            << "\", \"output\": \"" << answer << "\"}\n";
    }
    return path;
}

// A demo-tiny model folder (random weights, seed 7) with the GPT-2 tokenizer fixture.
inline std::string makeTinyModel(const std::string& dir) {
    const std::string out = dir + "/tiny-model";
    initModel("demo-tiny", PS_FIXTURES "/tokenizers/gpt2", out, 7, true);
    return out;
}

inline RunConfig smallRunConfig(const std::string& model, const std::string& data, const std::string& runsRoot) {
    RunConfig c;
    c.model_name_or_path = model;
    c.dataset = data;
    c.dataset_format = "alpaca";
    c.template_ = "alpaca";
    c.finetuning_type = "lora";
    c.lora_rank = 4;
    c.lora_alpha = 8;
    c.learning_rate = 3e-3;
    c.max_steps = 6;
    c.per_device_train_batch_size = 2;
    c.gradient_accumulation_steps = 2;
    c.lr_scheduler_type = "linear";
    c.warmup_steps = 1;
    c.cutoff_len = 64;
    c.packing = true;
    c.logging_steps = 1;
    c.save_steps = 100;
    c.seed = 3;
    c.output_dir = runsRoot;
    return c;
}

class RecordingObserver : public TrainerObserver {
public:
    std::function<void(const MetricSample&)> onSample;
    std::vector<MetricSample> samples;
    std::vector<std::string> errors;
    std::vector<TrainerState> states;
    std::mutex mutex;

    void onMetrics(const MetricSample& s) override {
        {
            std::lock_guard<std::mutex> lock(mutex);
            samples.push_back(s);
        }
        if (onSample)
            onSample(s);
    }
    void onLog(LogLevel level, const std::string& text) override {
        if (level == LogLevel::Error) {
            std::lock_guard<std::mutex> lock(mutex);
            errors.push_back(text);
        }
    }
    void onStateChanged(TrainerState state) override {
        std::lock_guard<std::mutex> lock(mutex);
        states.push_back(state);
    }
    std::vector<double> trainLosses() {
        std::lock_guard<std::mutex> lock(mutex);
        std::vector<double> out;
        for (const auto& s : samples)
            if (s.kind == MetricSample::Kind::Train && s.loss)
                out.push_back(*s.loss);
        return out;
    }
};

} // namespace ps::test
