#pragma once
// Full fine-tuning — the baseline every PEFT method is compared with: every parameter of the
// model trains (a tied embedding/head once, as transformers counts it) and the result is saved
// as a complete model folder rather than an adapter.
#include "model/causal_lm.h"

#include <torch/torch.h>

namespace ps::adapters {

// Makes a parameter trainable after copying it out of the read-only checkpoint mapping
// (loaded weights may be zero-copy views of the file, which an optimizer must not write to).
void makeOwnedTrainable(torch::Tensor& param);

// Makes every parameter of the model trainable (owned copies).
void makeFullyTrainable(model::CausalLMImpl& model);

} // namespace ps::adapters
