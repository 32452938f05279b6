// export: turn an adapter into something other tools load. For now `--format merged` (base +
// adapter folded into a standalone Hugging Face model folder); peft and gguf come later.
#include "cli_args.h"
#include "commands.h"

#include "ps/adapter.h"
#include "ps/error.h"
#include "ps/model_info.h"

#include <cctype>
#include <cstdlib>
#include <iostream>

namespace ps::cli {
namespace {

DType parseExportDtype(const std::string& name) {
    if (name == "f32" || name == "fp32" || name == "float32")
        return DType::F32;
    if (name == "f16" || name == "fp16" || name == "float16")
        return DType::F16;
    if (name == "bf16" || name == "bfloat16")
        return DType::BF16;
    throw Error("--dtype must be f32, f16 or bf16 (got '" + name + "')");
}

// "2GB", "500MB", "123456" -> bytes (decimal units, as transformers' max_shard_size).
std::uint64_t parseSize(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
        ++i;
    std::string unit = text.substr(i);
    for (auto& c : unit)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::uint64_t mult = unit.empty() || unit == "B" ? 1ull
                               : unit == "KB"              ? 1000ull
                               : unit == "MB"              ? 1000ull * 1000
                               : unit == "GB"              ? 1000ull * 1000 * 1000
                                                           : 0;
    if (i == 0 || mult == 0)
        throw Error("--max-shard-size: '" + text + "' is not a size (e.g. 2GB, 500MB or a number of bytes)");
    return std::strtoull(text.substr(0, i).c_str(), nullptr, 10) * mult;
}

int runExport(const Args& args) {
    CliArgs a(args, {"base", "format", "out", "dtype", "max-shard-size"}, {"force"});
    if (a.positionals().size() != 1)
        throw Error("export needs exactly one ADAPTER_DIR");
    const std::string adapterDir = a.positionals()[0];
    const std::string format = a.require("format");
    if (format == "peft" || format == "gguf")
        throw Error("--format " + format + " is not available yet (only --format merged in this version)");
    if (format != "merged")
        throw Error("--format must be merged (peft and gguf come later), got '" + format + "'");
    const std::string base = a.require("base");
    const std::string out = a.require("out");
    // Default dtype: the base checkpoint's.
    DType dtype = DType::F32;
    if (a.has("dtype")) {
        dtype = parseExportDtype(*a.value("dtype"));
    } else {
        const std::string torchDtype = inspectModel(base).torchDtype;
        if (torchDtype == "bfloat16")
            dtype = DType::BF16;
        else if (torchDtype == "float16")
            dtype = DType::F16;
    }
    MergedExportOptions options;
    options.overwrite = a.flag("force");
    if (a.has("max-shard-size"))
        options.maxShardBytes = parseSize(*a.value("max-shard-size"));
    const MergedExportReport report = exportMerged(adapterDir, base, out, dtype, options);
    std::cout << "wrote merged model to " << out << " (" << dtypeName(dtype) << ", " << report.weightBytes
              << " bytes of weights in " << report.numShards << (report.numShards == 1 ? " file" : " shards") << ")\n";
    for (const auto& f : report.files)
        std::cout << "  " << f << "\n";
    return 0;
}

const CommandRegistration reg{
    {"export",
     "export ADAPTER_DIR --base MODEL_DIR --format merged --out DIR [--dtype f32|f16|bf16] [--max-shard-size 2GB] "
     "[--force]",
     "Merge an adapter into its base model and write a standalone Hugging Face model folder (sharded above "
     "--max-shard-size); --force replaces an existing folder.",
     &runExport}};

} // namespace
} // namespace ps::cli
