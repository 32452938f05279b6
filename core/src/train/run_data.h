#pragma once
// A run configuration's data, read and tokenized as its keys ask (dataset, dataset_format,
// dataset_columns, template, cutoff_len, train_on_prompt): shared by training and `eval` so that
// both see the same examples and labels. Torch-free.
#include "ps/dataset.h"
#include "ps/run_config.h"
#include "ps/tokenizer.h"

#include <string>

namespace ps::train {

// `cacheDir` empty: no disk cache. Throws ps::Error for an unknown format or template name, a
// bad column mapping, or a bad record.
TokenizedDataset tokenizeRunData(const RunConfig& config, const Tokenizer& tokenizer, const std::string& cacheDir);

} // namespace ps::train
