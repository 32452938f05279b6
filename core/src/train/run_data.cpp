#include "train/run_data.h"

#include "ps/error.h"

namespace ps::train {

TokenizedDataset tokenizeRunData(const RunConfig& config, const Tokenizer& tokenizer, const std::string& cacheDir) {
    ReadOptions read;
    if (config.dataset_format != "auto") {
        auto f = dataFormatFromName(config.dataset_format);
        if (!f)
            throw Error("dataset_format '" + config.dataset_format + "' is not a known format");
        read.format = *f;
    }
    read.columns = parseColumnMapping(config.dataset_columns, "dataset_columns");
    TokenizeOptions tok;
    tok.cutoffLen = static_cast<int>(config.cutoff_len);
    tok.trainOnPrompt = config.train_on_prompt;
    if (config.template_ != "auto") {
        auto family = chatFamilyFromName(config.template_);
        if (!family)
            throw Error("template '" + config.template_ + "' is not a known chat template family");
        tok.chatFamily = *family;
    }
    tok.cacheDir = cacheDir;
    return tokenizeDataset(config.dataset, tokenizer, read, tok);
}

} // namespace ps::train
