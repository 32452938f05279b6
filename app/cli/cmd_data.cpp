// data inspect: what a dataset file holds once it is read, understood and tokenized for a
// model — the detected format and why, bad records, token counts and lengths, and one example
// shown whole and as the part that is trained on.
#include "cli_args.h"
#include "commands.h"

#include "ps/dataset.h"
#include "ps/error.h"
#include "ps/tokenizer.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace ps::cli {
namespace {

// $PEFT_STUDIO_CACHE/datasets, else $XDG_CACHE_HOME/peft-studio/datasets, else ~/.cache/...
std::string datasetCacheDir() {
    if (const char* c = std::getenv("PEFT_STUDIO_CACHE"); c && *c)
        return std::string(c) + "/datasets";
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
        return std::string(x) + "/peft-studio/datasets";
#ifdef _WIN32
    if (const char* l = std::getenv("LOCALAPPDATA"); l && *l)
        return std::string(l) + "/peft-studio/cache/datasets";
#else
    if (const char* h = std::getenv("HOME"); h && *h)
        return std::string(h) + "/.cache/peft-studio/datasets";
#endif
    return "";
}

std::string formatNames() {
    return "auto, alpaca, sharegpt, messages, prompt_completion, text";
}

int runInspect(const CliArgs& a) {
    const auto tok = Tokenizer::load(a.require("model"));
    const std::string data = a.require("data");
    ReadOptions read;
    if (auto f = a.value("format")) {
        const auto format = dataFormatFromName(*f);
        if (!format)
            throw Error("--format '" + *f + "' is not a known format (known: " + formatNames() + ")");
        read.format = *format;
    }
    read.skipBad = a.flag("skip-bad");
    TokenizeOptions opts;
    if (auto name = a.value("template")) {
        opts.chatFamily = chatFamilyFromName(*name);
        if (!opts.chatFamily) {
            std::string names;
            for (const auto& n : chatFamilyNames())
                names += (names.empty() ? "" : ", ") + n;
            throw Error("--template '" + *name + "' is not a known template (known: " + names + ")");
        }
    }
    const long long cutoff = a.intValue("cutoff-len", 1024);
    if (cutoff < 2 || cutoff > (1ll << 24))
        throw Error("--cutoff-len must be between 2 and 16777216, got " + std::to_string(cutoff));
    opts.cutoffLen = static_cast<int>(cutoff);
    opts.cacheDir = datasetCacheDir();

    const TokenizedDataset ds = tokenizeDataset(data, *tok, read, opts);
    const DatasetInfo& info = ds.info();
    const DatasetStats& st = ds.stats();
    std::string text, trained;
    if (ds.size() > 0) {
        const auto ids = ds.inputIds(0);
        const auto labels = ds.labels(0);
        std::vector<std::int32_t> trainedIds;
        for (auto l : labels)
            if (l != -100)
                trainedIds.push_back(l);
        text = tok->decode(ids);
        trained = tok->decode(trainedIds);
    }
    for (const auto& w : ds.warnings())
        std::cerr << "warning: " << w << "\n";

    if (a.flag("json")) {
        nlohmann::ordered_json j;
        j["format"] = dataFormatName(info.format);
        j["format_reason"] = info.formatReason;
        j["num_records"] = info.numRecords;
        j["num_skipped"] = info.numSkipped;
        j["errors"] = nlohmann::ordered_json::array();
        for (const auto& e : info.issues)
            j["errors"].push_back({{"line", e.line}, {"message", e.message}});
        j["num_examples"] = st.numExamples;
        j["num_tokens"] = st.numTokens;
        j["num_trained_tokens"] = st.numTrainedTokens;
        j["num_truncated"] = st.numTruncated;
        j["length"] = {{"min", st.length.min},
                       {"mean", st.length.mean},
                       {"p50", st.length.p50},
                       {"p95", st.length.p95},
                       {"max", st.length.max}};
        j["sample"] = {{"text", text}, {"trained_text", trained}};
        std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
        return 0;
    }
    char mean[32];
    std::snprintf(mean, sizeof mean, "%.1f", st.length.mean);
    std::cout << "file       " << info.path << " (" << fileTypeName(info.fileType)
              << (info.jsonKey.empty() ? "" : ", records in key '" + info.jsonKey + "'") << ")\n"
              << "format     " << dataFormatName(info.format) << ": " << info.formatReason << "\n";
    if (info.format == DataFormat::Alpaca || info.format == DataFormat::ShareGpt || info.format == DataFormat::Messages)
        std::cout << "template   " << chatFamilyName(ds.chatFamily()) << "\n";
    std::cout << "records    " << info.numRecords << " (" << info.numSkipped << " skipped)\n";
    for (const auto& e : info.issues)
        std::cout << "  skipped  " << e.describe() << "\n";
    std::cout << "examples   " << st.numExamples << " (" << st.numTruncated << " truncated at " << cutoff << " tokens"
              << (st.numDropped ? ", " + std::to_string(st.numDropped) + " dropped: nothing left to train" : "")
              << ")\n"
              << "tokens     " << st.numTokens << " (" << st.numTrainedTokens << " trained)\n"
              << "length     min " << st.length.min << ", mean " << mean << ", p50 " << st.length.p50 << ", p95 "
              << st.length.p95 << ", max " << st.length.max << "\n"
              << (ds.loadedFromCache() ? "cache      loaded " : "cache      ")
              << (ds.cachePath().empty() ? std::string("off") : ds.cachePath()) << "\n";
    if (ds.size() > 0)
        std::cout << "\n--- first example ---\n" << text << "\n--- trained part ---\n" << trained << "\n";
    return 0;
}

int runData(const Args& args) {
    CliArgs a(args, {"model", "data", "format", "template", "cutoff-len"}, {"skip-bad", "json"});
    const auto& pos = a.positionals();
    if (pos.size() != 1 || pos[0] != "inspect")
        throw Error("usage: peft-studio-cli data inspect --model DIR --data FILE [--format FORMAT] [--template NAME] "
                    "[--cutoff-len N] [--skip-bad] [--json]");
    return runInspect(a);
}

const CommandRegistration reg{
    {"data",
     "data inspect --model DIR --data FILE [--format auto|alpaca|sharegpt|messages|prompt_completion|text] "
     "[--template NAME] [--cutoff-len N] [--skip-bad] [--json]",
     "Read a dataset, detect its format, tokenize it for the model and show counts, lengths and a sample.", &runData}};

} // namespace
} // namespace ps::cli
