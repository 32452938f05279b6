#pragma once
// adapter_config.json — written with only the keys the spec's options need plus peft's common
// ones (peft < 0.14 rejects keys it does not know), sorted, indent 2, like peft's
// save_pretrained; read with peft's keys and defaults.
#include "adapters/adapter_plan.h"
#include "util/json_util.h"

#include <string>

namespace ps::adapters {

// The adapter_config.json text for a planned adapter. `baseModelName` is written as
// base_model_name_or_path after portableBaseModelName().
std::string adapterConfigJson(const AdapterPlan& plan, const std::string& baseModelName);

// A hub id stays as it is; an absolute or relative folder path becomes its folder name, and a
// HF cache snapshot path (.../models--org--name/snapshots/<rev>) becomes "org/name".
std::string portableBaseModelName(const std::string& nameOrPath);

AdapterSpec adapterSpecFromJson(const Json& config, const std::string& what);

} // namespace ps::adapters
