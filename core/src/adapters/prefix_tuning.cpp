#include "adapters/prefix_tuning.h"

#include "ps/error.h"

namespace ps::adapters {

PrefixEncoderImpl::PrefixEncoderImpl(std::int64_t numVirtualTokens, std::int64_t layers, std::int64_t kvHeadCount,
                                     std::int64_t headDimension, torch::Device device)
    : numLayers(layers), kvHeads(kvHeadCount), headDim(headDimension) {
    embeddings = register_parameter("prompt_embeddings",
                                    torch::randn({numVirtualTokens, numLayers * 2 * kvHeads * headDim},
                                                 torch::TensorOptions().dtype(torch::kFloat32).device(device)));
}

model::KVCache PrefixEncoderImpl::makeCache(std::int64_t batch, torch::Dtype dtype) const {
    const auto n = embeddings.size(0);
    // [n, 2L, kvh, hd] -> [2L, kvh, n, hd] (peft: view + permute([2, 0, 3, 1, 4]) + split(2)).
    const auto slots = embeddings.to(dtype).view({n, 2 * numLayers, kvHeads, headDim}).permute({1, 2, 0, 3});
    model::KVCache cache;
    for (std::int64_t l = 0; l < numLayers; ++l) {
        cache.keys.push_back(slots[2 * l].unsqueeze(0).expand({batch, kvHeads, n, headDim}));
        cache.values.push_back(slots[2 * l + 1].unsqueeze(0).expand({batch, kvHeads, n, headDim}));
    }
    return cache;
}

void PrefixEncoderImpl::prepare(model::ForwardInput& input, model::KVCache& cache, std::int64_t batch,
                                torch::Dtype dtype) const {
    if (input.attentionBias.defined())
        throw Error("prefix tuning: a custom attention bias (packed sequences) is not supported");
    if (cache.length() == 0)
        cache = makeCache(batch, dtype);
    input.cache = &cache;
    const auto n = embeddings.size(0);
    if (input.attentionMask.defined())
        input.attentionMask =
            torch::cat({torch::ones({batch, n}, input.attentionMask.options()), input.attentionMask}, 1);
    // peft drops caller position ids; the model then offsets the tokens by the cache length.
    input.positionIds = torch::Tensor();
}

} // namespace ps::adapters
