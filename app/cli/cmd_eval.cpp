// eval: mean loss and perplexity of a model (optionally with an adapter) on a dataset, tokenized
// as training tokenizes it (chat template, response-only labels, cutoff).
#include "cli_args.h"
#include "commands.h"

#include "ps/error.h"
#include "ps/evaluate.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace ps::cli {
namespace {

int runEval(const Args& args) {
    CliArgs a(args,
              {"model", "adapter", "data", "format", "template", "cutoff-len", "batch", "max-examples", "dtype",
               "device", "threads"},
              {"train-on-prompt", "json"});
    if (!a.positionals().empty())
        throw Error("eval takes no positional arguments (got '" + a.positionals()[0] + "')");
    EvalOptions o;
    o.modelDir = a.require("model");
    o.adapterDir = a.value("adapter").value_or("");
    o.dataset = a.require("data");
    o.datasetFormat = a.value("format").value_or("auto");
    o.templateName = a.value("template").value_or("auto");
    o.cutoffLen = a.intValue("cutoff-len", 1024);
    o.batchSize = a.intValue("batch", 4);
    o.maxExamples = a.intValue("max-examples", 0);
    o.dtype = a.value("dtype").value_or("fp32");
    o.device = a.value("device").value_or("auto");
    o.threads = static_cast<int>(a.intValue("threads", 0));
    o.trainOnPrompt = a.flag("train-on-prompt");

    const bool tty = isatty(fileno(stderr)) != 0;
    const auto r = evaluateDataset(o, [tty](std::uint64_t done, std::uint64_t total) {
        if (tty)
            std::fprintf(stderr, "\r  evaluating %llu / %llu examples", static_cast<unsigned long long>(done),
                         static_cast<unsigned long long>(total));
    });
    if (tty)
        std::fprintf(stderr, "\n");
    if (a.flag("json")) {
        const nlohmann::json j = {{"loss", r.loss},         {"perplexity", r.perplexity}, {"tokens", r.tokens},
                                  {"examples", r.examples}, {"seconds", r.seconds},       {"device", r.device}};
        std::cout << j.dump() << "\n";
        return 0;
    }
    std::printf("loss        %.6f\nperplexity  %.4f\ntokens      %llu (with a label)\nexamples    %llu\n"
                "time        %.2f s on %s\n",
                r.loss, r.perplexity, static_cast<unsigned long long>(r.tokens),
                static_cast<unsigned long long>(r.examples), r.seconds, r.device.c_str());
    return 0;
}

const CommandRegistration reg{
    {"eval",
     "eval --model DIR [--adapter DIR] --data FILE [--format F] [--template T] [--cutoff-len N] [--batch N] "
     "[--max-examples N] [--train-on-prompt] [--dtype fp32|bf16] [--device auto|cpu|cuda] [--json]",
     "Mean loss (cross-entropy over the tokens training would learn) and perplexity of a model, optionally with "
     "an adapter, on a dataset tokenized as training does.",
     &runEval}};

} // namespace
} // namespace ps::cli
