// forward: logits of a model (optionally with an adapter) for given token ids, written as a
// float32 safetensors tensor `logits` [batch, seq, vocab].
#include "cli_args.h"
#include "commands.h"

#include "ps/error.h"
#include "ps/inference.h"
#include "ps/safetensors.h"
#include "ps/system_info.h"

#include <cerrno>
#include <cstdlib>
#include <iostream>

namespace ps::cli {
namespace {

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// "1,2,3;4,5,6" -> {{1,2,3},{4,5,6}}; rows must be non-empty and of equal length.
std::vector<std::vector<std::int64_t>> parseIdRows(const std::string& text) {
    std::vector<std::vector<std::int64_t>> rows;
    std::size_t start = 0;
    while (true) {
        const auto end = text.find(';', start);
        const std::string row = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        std::vector<std::int64_t> ids;
        std::size_t p = 0;
        while (true) {
            const auto comma = row.find(',', p);
            const std::string tok = trimmed(row.substr(p, comma == std::string::npos ? std::string::npos : comma - p));
            char* stop = nullptr;
            errno = 0;
            const long long v = tok.empty() ? 0 : std::strtoll(tok.c_str(), &stop, 10);
            if (tok.empty() || *stop != '\0' || errno == ERANGE)
                throw Error("--ids: row " + std::to_string(rows.size() + 1) + ": '" + tok +
                            "' is not a token id (expected \"1,2,3;4,5,6\")");
            ids.push_back(v);
            if (comma == std::string::npos)
                break;
            p = comma + 1;
        }
        if (!rows.empty() && ids.size() != rows[0].size())
            throw Error("--ids: row " + std::to_string(rows.size() + 1) + " has " + std::to_string(ids.size()) +
                        " ids but row 1 has " + std::to_string(rows[0].size()) + "; rows must have equal length");
        rows.push_back(std::move(ids));
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return rows;
}

int runForward(const Args& args) {
    CliArgs a(args, {"model", "adapter", "ids", "out", "dtype", "device", "threads"}, {"merge"});
    if (!a.positionals().empty())
        throw Error("forward takes no positional arguments (got '" + a.positionals()[0] + "')");
    LogitsRequest request;
    request.modelDir = a.require("model");
    request.adapterDir = a.value("adapter").value_or("");
    request.mergeAdapter = a.flag("merge");
    request.dtype = a.value("dtype").value_or("fp32");
    request.device = a.value("device").value_or("cpu");
    request.rows = parseIdRows(a.require("ids"));
    const std::string out = a.require("out");
    if (request.dtype != "fp32" && request.dtype != "bf16")
        throw Error("--dtype must be fp32 or bf16 (got '" + request.dtype + "')");
    if (request.mergeAdapter && request.adapterDir.empty())
        throw Error("--merge needs --adapter DIR");
    configureThreads(static_cast<int>(a.intValue("threads", 0)));

    const Logits logits = computeLogits(request);
    TensorToWrite t;
    t.name = "logits";
    t.dtype = DType::F32;
    t.shape = {logits.batch, logits.seq, logits.vocab};
    t.data = logits.values.data();
    writeSafetensors(out, {t});
    std::cout << "wrote logits [" << logits.batch << ", " << logits.seq << ", " << logits.vocab << "] to " << out
              << "\n";
    return 0;
}

const CommandRegistration reg{
    {"forward",
     "forward --model DIR [--adapter DIR] [--merge] --ids \"1,2,3;4,5,6\" --out FILE.safetensors [--dtype fp32|bf16]",
     "Run the model on rows of token ids (';' between rows, equal lengths) and write float32 `logits` "
     "[batch, seq, vocab] to a safetensors file.",
     &runForward}};

} // namespace
} // namespace ps::cli
