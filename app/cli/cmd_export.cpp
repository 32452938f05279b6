// export: turn an adapter (or a run's adapter) into something other tools load:
//   --format peft    a clean Hugging Face PEFT folder with a README model card
//   --format merged  base + adapter folded into a standalone Hugging Face model folder
//   --format gguf    a llama.cpp / Ollama GGUF LoRA adapter plus an Ollama Modelfile
// docs/EXPORT.md describes the formats.
#include "cli_args.h"
#include "commands.h"

#include "ps/adapter.h"
#include "ps/error.h"
#include "ps/export.h"
#include "ps/export_compat.h"
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

int exportPeft(const CliArgs& a, const std::string& source, const std::string& base, const std::string& out) {
    PeftExportOptions options;
    options.overwrite = a.flag("force");
    const PeftExportReport report = exportPeftAdapter(source, base, out, options);
    std::cout << "wrote " << report.method << " adapter to " << out << " (" << report.numTensors << " tensors, "
              << report.numParameters << " parameters; base_model_name_or_path \"" << report.baseModelName
              << "\"), loaded back onto the base model to check it\n";
    for (const auto& f : report.files)
        std::cout << "  " << f << "\n";
    return 0;
}

int exportGguf(const CliArgs& a, const std::string& source, const std::string& base, const std::string& out) {
    GgufExportOptions options;
    options.overwrite = a.flag("force");
    options.writeModelfile = !a.flag("no-modelfile");
    if (a.has("dtype")) {
        options.dtype = parseExportDtype(*a.value("dtype"));
        if (options.dtype != DType::F32 && options.dtype != DType::F16)
            throw Error("--format gguf writes f32 or f16 tensors (got --dtype " + *a.value("dtype") + ")");
    }
    options.ollamaFrom = a.value("ollama-from").value_or("");
    options.chatFamily = a.value("template").value_or("");
    const GgufExportReport report = exportGgufLora(source, base, out, options);
    std::cout << "wrote GGUF LoRA adapter " << report.ggufPath << " (architecture " << report.architecture << ", "
              << report.numTensors << " tensors, adapter.lora.alpha " << report.alpha << ")\n";
    for (const auto& note : report.notes)
        std::cout << "  note: " << note << "\n";
    if (!report.modelfilePath.empty())
        std::cout << "wrote Ollama Modelfile " << report.modelfilePath << " (chat template " << report.chatFamily
                  << "); set its FROM to the base model, then: ollama create NAME -f " << report.modelfilePath << "\n";
    std::cout << "llama.cpp: llama-cli -m BASE.gguf --lora " << report.ggufPath << "\n";
    return 0;
}

int exportMergedModel(const CliArgs& a, const ExportSource& src, const std::string& base, const std::string& out) {
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
    const MergedExportReport report = exportMerged(src.adapterDir, base, out, dtype, options);
    std::cout << "wrote merged model to " << out << " (" << dtypeName(dtype) << ", " << report.weightBytes
              << " bytes of weights in " << report.numShards << (report.numShards == 1 ? " file" : " shards") << ")\n";
    for (const auto& f : report.files)
        std::cout << "  " << f << "\n";
    return 0;
}

int runExport(const Args& args) {
    CliArgs a(args, {"base", "format", "out", "dtype", "max-shard-size", "ollama-from", "template"},
              {"force", "no-modelfile", "check"});
    if (a.positionals().size() != 1)
        throw Error("export needs exactly one ADAPTER_DIR or run folder");
    const std::string source = a.positionals()[0];
    // A run folder knows its base model; --base overrides it.
    const ExportSource src = resolveExportSource(source);
    const std::string base = a.value("base").value_or(src.baseHint);
    // The report comes first, so that what a runtime will refuse is known before anything is
    // written; --check stops there.
    std::cout << formatCompatReport(exportCompatibility(source, base)) << std::flush;
    if (a.flag("check"))
        return 0;
    const std::string format = a.require("format");
    if (format != "peft" && format != "merged" && format != "gguf")
        throw Error("--format must be peft, merged or gguf (got '" + format + "')");
    const std::string out = a.require("out");
    if (base.empty())
        throw Error("missing required option --base (the base model folder the adapter was trained on)");
    if (format == "peft")
        return exportPeft(a, source, base, out);
    if (format == "gguf")
        return exportGguf(a, source, base, out);
    return exportMergedModel(a, src, base, out);
}

const CommandRegistration reg{
    {"export",
     "export ADAPTER_OR_RUN_DIR (--check | --format peft|merged|gguf --out PATH) [--base MODEL_DIR] "
     "[--dtype f32|f16|bf16] [--max-shard-size 2GB] [--ollama-from NAME] [--template FAMILY] [--no-modelfile] [--force]",
     "Export an adapter: peft = a clean Hugging Face PEFT folder with a model card; merged = base + adapter as a "
     "standalone model folder (sharded above --max-shard-size); gguf = a llama.cpp/Ollama LoRA file (PATH.gguf, or a "
     "folder) plus an Ollama Modelfile. --base defaults to a run's model; --force replaces existing output. A "
     "compatibility report (peft, transformers, vLLM, llama.cpp/Ollama: ok / warning / unsupported, with reasons) is "
     "printed first; --check prints it and writes nothing.",
     &runExport}};

} // namespace
} // namespace ps::cli
