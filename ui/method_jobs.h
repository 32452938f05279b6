#pragma once
// The Method page's background work as a plain function: what the draft's method trains on the
// draft's model (parameter count, adapted modules), the file it will write, and the training
// memory it needs — all from config.json and the safetensors headers, no weights read. Runs on
// a QtConcurrent worker; errors come back as text.
#include "ps/adapter.h"
#include "ps/adapter_file_size.h"
#include "ps/memory_estimate.h"
#include "ps/model_info.h"
#include "ps/run_config.h"

#include <QString>
#include <QStringList>

#include <optional>

namespace ps::ui {

struct MethodEstimate {
    ps::RunConfig config;               // what was estimated
    std::optional<ps::ModelInfo> model; // the inspected model (shape, modules, size)
    QString modelError;                 // why the model cannot be used
    bool counted = false;               // count, file and memory are valid
    ps::ParameterCount count;
    ps::AdapterFileEstimate file;
    ps::TrainingMemoryEstimate memory;
    QString methodError; // why the method does not apply to this model
};

// `known`: the model info when the caller has it for config.model_name_or_path already.
MethodEstimate estimateMethod(const ps::RunConfig& config, const std::optional<ps::ModelInfo>& known);

} // namespace ps::ui
