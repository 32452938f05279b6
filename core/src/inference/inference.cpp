#include "ps/inference.h"

#include "adapters/peft_model.h"
#include "model/causal_lm.h"
#include "model/compute_options.h"
#include "ps/error.h"

namespace ps {
namespace {

// ---- ADAPTER HOOK -------------------------------------------------------------------------
// Loads the PEFT adapter in `adapterDir` (any method, or a full fine-tune's model folder) onto
// `model`, merged into the weights when `merge`. Prompt and prefix tuning act outside the
// projections, so the forward pass goes through the returned PeftModel.
std::unique_ptr<adapters::PeftModel> applyAdapter(model::CausalLM& model, const std::string& adapterDir, bool merge) {
    auto peft = adapters::PeftModel::load(adapterDir, model);
    if (merge)
        peft->merge();
    return peft;
}
// ---------------------------------------------------------------------------------------------

} // namespace

Logits computeLogits(const LogitsRequest& request) {
    if (request.rows.empty() || request.rows[0].empty())
        throw Error("no token ids given");
    const auto B = static_cast<std::int64_t>(request.rows.size());
    const auto T = static_cast<std::int64_t>(request.rows[0].size());
    std::vector<std::int64_t> flat;
    flat.reserve(static_cast<std::size_t>(B * T));
    for (std::size_t r = 0; r < request.rows.size(); ++r) {
        if (static_cast<std::int64_t>(request.rows[r].size()) != T)
            throw Error("row " + std::to_string(r + 1) + " has " + std::to_string(request.rows[r].size()) +
                        " ids, row 1 has " + std::to_string(T) + ": all rows must have the same length");
        flat.insert(flat.end(), request.rows[r].begin(), request.rows[r].end());
    }
    if (request.mergeAdapter && request.adapterDir.empty())
        throw Error("merging needs an adapter");

    model::LoadOptions options;
    options.dtype = model::parseComputeDtype(request.dtype);
    options.device = model::parseComputeDevice(request.device);
    // Merging writes into base weights, which must then not be read-only mmap views.
    options.copyWeights = request.mergeAdapter;
    auto model = model::loadCausalLM(request.modelDir, options);
    std::unique_ptr<adapters::PeftModel> peft;
    if (!request.adapterDir.empty())
        peft = applyAdapter(model, request.adapterDir, request.mergeAdapter);
    model->eval();

    torch::NoGradGuard noGrad;
    model::ForwardInput input;
    input.inputIds = torch::from_blob(flat.data(), {B, T}, torch::kInt64).to(options.device);
    const auto hidden = peft ? peft->forward(input) : model->forward(input);
    const auto logits = model->logits(hidden).to(torch::kCPU, torch::kFloat32).contiguous();

    Logits out;
    out.batch = B;
    out.seq = logits.size(1); // prompt tuning adds its virtual-token rows in front
    out.vocab = logits.size(2);
    out.values.assign(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
    return out;
}

} // namespace ps
