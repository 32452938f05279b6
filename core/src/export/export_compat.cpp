// exportCompatibility: per-runtime verdicts for an adapter, from its config and tensor names.
//
// Sources for the rules (docs/EXPORT.md, "Compatibility report", repeats them for users):
//  - transformers: its PEFT integration (transformers.integrations.PeftAdapterMixin,
//    https://huggingface.co/docs/transformers/main_classes/peft) loads "LoRA, IA3 and AdaLoRA"
//    in 4.x; the v5 docs widen that to "all non-prompt-learning methods" (with peft >= 0.18).
//    Prompt / prefix tuning "can't be injected into a torch module" and are out of scope there.
//  - vLLM: vllm/lora/peft_helper.py validate_legal and its tests (tests/lora/test_peft_helper.py)
//    reject "use_dora" ("does not yet support DoRA"), modules_to_save ("only supports
//    modules_to_save being None") and adapter biases without bias support enabled; an adapter
//    rank above the server's max_lora_rank is refused. max_lora_rank defaults to 16 and takes
//    one of 1, 8, 16, 32, 64, 128, 256, 320, 512 (vllm/config/lora.py MaxLoRARanks, v0.14;
//    v0.6 accepted 8..256). LoRA weights on embed_tokens / lm_head are refused for models that
//    do not register them as LoRA modules (vllm-project/vllm#9280, #33234); we report them as
//    unsupported since that is the common case. vLLM serves LoRA adapters only.
//  - llama.cpp / Ollama: what exportGgufLora can write (LoRA on llama-family / qwen2 / gemma /
//    phi3 / gpt2 bases; no DoRA, biases, modules_to_save, embedding LoRA or head LoRA on a tied
//    model) — the same rules that function enforces, so the report never promises a file the
//    export then refuses.
#include "export/gguf_names.h"
#include "ps/adapter.h"
#include "ps/error.h"
#include "ps/export.h"
#include "ps/export_compat.h"
#include "ps/model_info.h"
#include "util/file_util.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <sstream>

namespace ps {
namespace {

// What the adapter's tensors say, independent of what its config claims.
struct AdapterFacts {
    PeftMethod method = PeftMethod::Lora;
    bool dora = false;
    std::int64_t maxRank = 0;
    std::set<std::string> loraModules;   // module paths with lora_A / lora_B (or embedding) tensors
    std::set<std::string> embeddingLora; // LoRA on a token embedding
    std::set<std::string> headLora;      // LoRA on lm_head
    std::set<std::string> savedModules;  // modules_to_save: whole weights stored in the adapter
    std::set<std::string> trainedBiases; // bias vectors stored in the adapter
};

const std::string kPrefix = "base_model.model.";

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lastComponent(const std::string& path) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
}

bool isEmbeddingPath(const std::string& module) {
    const std::string last = lastComponent(module);
    return last == "embed_tokens" || last == "wte";
}

// The module path before `marker` in NAME ("...q_proj.lora_A.weight" -> "...q_proj").
std::string moduleBefore(const std::string& name, const std::string& marker) {
    std::string m = name.substr(0, name.find(marker));
    if (m.compare(0, kPrefix.size(), kPrefix) == 0)
        m = m.substr(kPrefix.size());
    return m;
}

AdapterFacts factsOf(const AdapterInfo& info) {
    AdapterFacts f;
    f.method = info.spec.method;
    f.dora = info.spec.useDora;
    if (f.method != PeftMethod::Lora)
        return f; // the other methods' tensors carry no rule beyond the method itself
    for (const auto& t : info.tensors) {
        const std::string& n = t.name;
        if (n.find(".lora_magnitude_vector") != std::string::npos) {
            f.dora = true;
        } else if (n.find(".lora_embedding_A") != std::string::npos) {
            const std::string m = moduleBefore(n, ".lora_embedding_A");
            f.loraModules.insert(m);
            f.embeddingLora.insert(m);
            if (!t.shape.empty())
                f.maxRank = std::max(f.maxRank, t.shape[0]); // [r, vocab]
        } else if (n.find(".lora_A") != std::string::npos) {
            const std::string m = moduleBefore(n, ".lora_A");
            f.loraModules.insert(m);
            if (lastComponent(m) == "lm_head")
                f.headLora.insert(m);
            if (isEmbeddingPath(m))
                f.embeddingLora.insert(m);
            if (!t.shape.empty())
                f.maxRank = std::max(f.maxRank, t.shape[0]); // [r, in]
        } else if (n.find(".lora_B") != std::string::npos || n.find(".lora_embedding_B") != std::string::npos) {
            // the rank is read from A
        } else if (endsWith(n, ".bias")) {
            f.trainedBiases.insert(n.compare(0, kPrefix.size(), kPrefix) == 0 ? n.substr(kPrefix.size()) : n);
        } else {
            // A whole weight that is not a LoRA factor: a modules_to_save copy (peft stores it
            // under the module's own name, e.g. base_model.model.lm_head.weight).
            std::string m = moduleBefore(n, ".weight");
            const auto mts = m.find(".modules_to_save");
            if (mts != std::string::npos)
                m = m.substr(0, mts);
            f.savedModules.insert(m);
        }
    }
    for (const auto& m : info.spec.modulesToSave)
        f.savedModules.insert(m);
    return f;
}

bool isAbsolutePath(const std::string& p) {
    if (!p.empty() && (p[0] == '/' || p[0] == '\\' || p[0] == '~'))
        return true;
    return p.size() > 2 && std::isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' &&
           (p[2] == '\\' || p[2] == '/'); // C:\models\x
}

std::string joined(const std::set<std::string>& items, std::size_t max = 3) {
    std::string out;
    std::size_t i = 0;
    for (const auto& s : items) {
        if (i == max) {
            out += " and " + std::to_string(items.size() - max) + " more";
            break;
        }
        out += (i ? ", " : "") + s;
        ++i;
    }
    return out;
}

std::string methodWords(const AdapterInfo& info, const AdapterFacts& f) {
    switch (f.method) {
    case PeftMethod::Lora: {
        std::string s = f.dora ? "DoRA" : info.spec.useRslora ? "rsLoRA" : "LoRA";
        return s + " r=" + std::to_string(f.maxRank > 0 ? f.maxRank : info.spec.r);
    }
    case PeftMethod::Ia3:
        return "IA3";
    case PeftMethod::Loha:
        return "LoHa r=" + std::to_string(info.spec.r);
    case PeftMethod::Lokr:
        return "LoKr r=" + std::to_string(info.spec.r);
    case PeftMethod::PromptTuning:
        return "prompt tuning (" + std::to_string(info.spec.numVirtualTokens) + " virtual tokens)";
    case PeftMethod::PrefixTuning:
        return "prefix tuning (" + std::to_string(info.spec.numVirtualTokens) + " virtual tokens)";
    case PeftMethod::Full:
        return "full fine-tune";
    }
    return "adapter";
}

class Verdicts {
public:
    explicit Verdicts(ExportRuntime r) { entry_.runtime = r; }
    void warn(std::string reason) { add(CompatVerdict::Warning, std::move(reason)); }
    void reject(std::string reason) { add(CompatVerdict::Unsupported, std::move(reason)); }
    void note(std::string reason) { entry_.reasons.push_back(std::move(reason)); }
    RuntimeCompat take() { return std::move(entry_); }

private:
    void add(CompatVerdict v, std::string reason) {
        if (static_cast<int>(v) > static_cast<int>(entry_.verdict))
            entry_.verdict = v;
        entry_.reasons.push_back(std::move(reason));
    }
    RuntimeCompat entry_;
};

const std::int64_t kVllmRanks[] = {8, 16, 32, 64, 128, 256, 320, 512};

RuntimeCompat checkPeft(const AdapterInfo& info, const AdapterFacts& f, bool absoluteBase) {
    Verdicts v(ExportRuntime::Peft);
    if (f.method == PeftMethod::Full) {
        v.reject("a full fine-tune is a whole model, not an adapter: load it with transformers instead");
        return v.take();
    }
    if (f.dora)
        v.note("DoRA adapters need peft 0.9 or newer");
    if (absoluteBase)
        v.warn("base_model_name_or_path is an absolute path (" + info.baseModel +
               ") that only exists on this machine; the peft export writes the folder name instead");
    return v.take();
}

RuntimeCompat checkTransformers(const AdapterInfo& info, const AdapterFacts& f, bool absoluteBase) {
    Verdicts v(ExportRuntime::Transformers);
    switch (f.method) {
    case PeftMethod::Full:
        v.note("a complete model folder: AutoModelForCausalLM.from_pretrained loads it");
        return v.take();
    case PeftMethod::PromptTuning:
    case PeftMethod::PrefixTuning:
        v.reject("transformers' PEFT integration cannot inject virtual tokens (prompt / prefix tuning); load it "
                 "with peft's PeftModel.from_pretrained");
        return v.take();
    case PeftMethod::Loha:
    case PeftMethod::Lokr:
        v.warn("transformers 4.x loads LoRA, IA3 and AdaLoRA adapters only; " + info.peftType +
               " needs transformers 5 with peft 0.18 or newer, or peft's PeftModel.from_pretrained, or the merged "
               "export");
        break;
    default:
        v.note("loads through transformers' PEFT integration (model.load_adapter) with peft installed");
        break;
    }
    if (absoluteBase)
        v.warn("from_pretrained on the adapter folder looks for the base at " + info.baseModel +
               ", which only exists on this machine");
    return v.take();
}

RuntimeCompat checkVllm(const AdapterFacts& f, const std::string& bias) {
    Verdicts v(ExportRuntime::Vllm);
    if (f.method == PeftMethod::Full) {
        v.note("a complete model folder: vLLM serves it as a model");
        return v.take();
    }
    if (f.method != PeftMethod::Lora) {
        v.reject(std::string("vLLM serves LoRA adapters only, not ") + peftMethodName(f.method) +
                 "; export a merged model and serve that");
        return v.take();
    }
    if (f.dora)
        v.reject("DoRA magnitude vectors (use_dora) are not supported by vLLM; export a merged model instead");
    if (!f.savedModules.empty())
        v.reject("modules_to_save (" + joined(f.savedModules) +
                 ") stores whole trained modules, which vLLM refuses; export a merged model instead");
    std::set<std::string> embHead = f.embeddingLora;
    embHead.insert(f.headLora.begin(), f.headLora.end());
    if (!embHead.empty())
        v.reject("LoRA on the embedding or output head (" + joined(embHead) +
                 ") is refused by vLLM for most model architectures; export a merged model instead");
    if (bias != "none" || !f.trainedBiases.empty())
        v.warn("the adapter trains bias vectors: vLLM loads them only when started with --enable-lora-bias");
    if (f.maxRank > 512) {
        v.reject("rank " + std::to_string(f.maxRank) + " is above vLLM's largest --max-lora-rank (512)");
    } else if (f.maxRank > 16) {
        std::int64_t need = 512;
        for (const auto r : kVllmRanks)
            if (r >= f.maxRank) {
                need = r;
                break;
            }
        v.warn("rank " + std::to_string(f.maxRank) +
               " is above vLLM's default --max-lora-rank 16: start vLLM with "
               "--max-lora-rank " +
               std::to_string(need) + (need > 256 ? " (vLLM before 0.14 stops at 256)" : ""));
    }
    return v.take();
}

RuntimeCompat checkLlamaCpp(const AdapterInfo& info, const AdapterFacts& f, const std::optional<ModelInfo>& base,
                            const std::string& baseError) {
    Verdicts v(ExportRuntime::LlamaCpp);
    if (f.method == PeftMethod::Full) {
        v.warn("a full fine-tune is a model, not a LoRA: convert it with llama.cpp's convert_hf_to_gguf.py");
        return v.take();
    }
    if (f.method != PeftMethod::Lora) {
        v.reject(
            std::string("llama.cpp and Ollama load LoRA adapters only, not ") + peftMethodName(f.method) +
            (peftMethodCanMerge(f.method) ? "; export a merged model and convert it with convert_hf_to_gguf.py" : ""));
        return v.take();
    }
    if (f.dora)
        v.reject("DoRA magnitude vectors cannot be stored in a GGUF LoRA; export a merged model instead");
    if (!f.savedModules.empty())
        v.reject("modules_to_save (" + joined(f.savedModules) +
                 ") stores whole trained modules that a GGUF LoRA cannot carry; export a merged model instead");
    if (info.spec.bias != "none" || !f.trainedBiases.empty())
        v.reject("trained bias vectors cannot be stored in a GGUF LoRA; export a merged model instead");
    if (!f.embeddingLora.empty())
        v.reject("LoRA on the token embedding (" + joined(f.embeddingLora) +
                 ") is not written to GGUF here; export a merged model instead");
    if (!base) {
        v.warn("the base model folder is not available (" + baseError +
               "), so its architecture and tied embeddings were not checked");
        return v.take();
    }
    std::string modelType = base->modelType;
    try {
        gguf::architectureFor(modelType);
    } catch (const Error&) {
        std::string known;
        for (const auto& t : gguf::supportedModelTypes())
            known += (known.empty() ? "" : ", ") + t;
        v.reject("GGUF LoRA export supports llama-family and gpt2 bases (" + known + "), not model_type '" + modelType +
                 "'");
        return v.take();
    }
    if (!f.headLora.empty() && base->tieWordEmbeddings)
        v.reject("LoRA on lm_head of a model with tied embeddings has no separate output tensor in llama.cpp");
    std::set<std::string> unmapped;
    for (const auto& m : f.loraModules)
        if (!f.embeddingLora.count(m) && !gguf::tensorNameFor(modelType, m))
            unmapped.insert(m);
    if (!unmapped.empty())
        v.reject("no llama.cpp tensor for " + joined(unmapped) + " (model_type " + modelType + ")");
    if (info.spec.useRslora || !info.spec.alphaPattern.empty())
        v.note("per-module scaling (rsLoRA / alpha_pattern) is folded into lora_b, since GGUF has one alpha");
    return v.take();
}

} // namespace

const char* exportRuntimeName(ExportRuntime runtime) {
    switch (runtime) {
    case ExportRuntime::Peft:
        return "peft";
    case ExportRuntime::Transformers:
        return "transformers";
    case ExportRuntime::Vllm:
        return "vLLM";
    case ExportRuntime::LlamaCpp:
        return "llama.cpp / Ollama";
    }
    return "?";
}

const char* compatVerdictName(CompatVerdict verdict) {
    switch (verdict) {
    case CompatVerdict::Ok:
        return "ok";
    case CompatVerdict::Warning:
        return "warning";
    case CompatVerdict::Unsupported:
        return "unsupported";
    }
    return "?";
}

const RuntimeCompat& CompatReport::at(ExportRuntime runtime) const {
    for (const auto& r : runtimes)
        if (r.runtime == runtime)
            return r;
    throw Error(std::string("compatibility report has no entry for ") + exportRuntimeName(runtime));
}

CompatVerdict CompatReport::worst() const {
    CompatVerdict w = CompatVerdict::Ok;
    for (const auto& r : runtimes)
        if (static_cast<int>(r.verdict) > static_cast<int>(w))
            w = r.verdict;
    return w;
}

CompatReport exportCompatibility(const std::string& source, const std::string& baseDir) {
    const ExportSource src = resolveExportSource(source);
    const AdapterInfo info = inspectAdapter(src.adapterDir);
    const AdapterFacts facts = factsOf(info);

    CompatReport report;
    report.adapterDir = src.adapterDir;
    report.method = methodWords(info, facts);
    const std::string base = !baseDir.empty() ? baseDir : src.baseHint;
    std::optional<ModelInfo> baseInfo;
    std::string baseError = "no base model given";
    if (!base.empty()) {
        if (!isDirectory(base)) {
            baseError = "'" + base + "' is not a folder";
        } else {
            try {
                baseInfo = inspectModel(base);
                report.baseDir = base;
            } catch (const Error& e) {
                baseError = e.what();
            }
        }
    }
    const bool absoluteBase = info.spec.method != PeftMethod::Full && isAbsolutePath(info.baseModel);
    report.runtimes.push_back(checkPeft(info, facts, absoluteBase));
    report.runtimes.push_back(checkTransformers(info, facts, absoluteBase));
    report.runtimes.push_back(checkVllm(facts, info.spec.bias));
    report.runtimes.push_back(checkLlamaCpp(info, facts, baseInfo, baseError));
    return report;
}

std::string formatCompatReport(const CompatReport& report) {
    std::ostringstream out;
    out << "compatibility of " << report.adapterDir << " (" << report.method << ")"
        << (report.baseDir.empty() ? std::string() : ", base " + report.baseDir) << ":\n";
    for (const auto& r : report.runtimes) {
        out << "  [" << compatVerdictName(r.verdict) << "] " << exportRuntimeName(r.runtime) << "\n";
        for (const auto& reason : r.reasons)
            out << "      - " << reason << "\n";
    }
    return out.str();
}

} // namespace ps
