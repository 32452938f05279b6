#include "adapters/model_folder_writer.h"

#include "io/torch_tensors.h"
#include "ps/error.h"
#include "util/file_util.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#ifdef _WIN32
#include <process.h>
#define PS_GETPID _getpid
#else
#include <unistd.h>
#define PS_GETPID getpid
#endif

namespace ps::adapters {
namespace fs = std::filesystem;

namespace {

std::string shardName(std::size_t index, std::size_t count) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", index, count);
    return buf;
}

bool isNonEmptyDir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec) && fs::directory_iterator(p, ec) != fs::directory_iterator();
}

} // namespace

const std::vector<std::string>& modelSideFiles() {
    static const std::vector<std::string> files{"tokenizer.json",
                                                "tokenizer_config.json",
                                                "special_tokens_map.json",
                                                "tokenizer.model",
                                                "vocab.json",
                                                "merges.txt",
                                                "added_tokens.json",
                                                "chat_template.jinja",
                                                "chat_template.json",
                                                "generation_config.json"};
    return files;
}

std::string torchDtypeName(torch::Dtype dtype) {
    switch (dtype) {
    case torch::kFloat32:
        return "float32";
    case torch::kBFloat16:
        return "bfloat16";
    case torch::kFloat16:
        return "float16";
    default:
        throw Error("model export: unsupported dtype (float32, bfloat16 or float16)");
    }
}

MergedExportReport writeModelFolder(const ModelFolderContent& content, const std::string& outDir, bool overwrite) {
    const fs::path out = fs::path(outDir).lexically_normal();
    if (out.empty())
        throw Error("model export: no output folder given");
    if (fs::exists(out) && !fs::is_directory(out))
        throw Error(outDir + ": exists and is not a folder");
    if (isNonEmptyDir(out) && !overwrite)
        throw Error(outDir + ": folder exists and is not empty (use --force to replace it)");
    const std::string suffix = "." + std::to_string(PS_GETPID());
    const fs::path tmp = out.string() + ".partial" + suffix;
    std::error_code ec;
    removeTree(tmp, ec);
    fs::create_directories(tmp);

    MergedExportReport report;
    try {
        // Shards as transformers' shard_checkpoint: a new shard when the next tensor would
        // overflow a non-empty one.
        const std::size_t elem = torch::elementSize(content.dtype);
        std::vector<std::vector<std::size_t>> shards(1);
        std::uint64_t current = 0;
        for (std::size_t i = 0; i < content.tensors.size(); ++i) {
            const std::uint64_t bytes = static_cast<std::uint64_t>(content.tensors[i].second.numel()) * elem;
            if (!shards.back().empty() && current + bytes > content.maxShardBytes) {
                shards.emplace_back();
                current = 0;
            }
            shards.back().push_back(i);
            current += bytes;
            report.weightBytes += bytes;
        }
        report.numShards = static_cast<std::int64_t>(shards.size());
        Json weightMap = Json::object();
        for (std::size_t s = 0; s < shards.size(); ++s) {
            const std::string name = shards.size() == 1 ? "model.safetensors" : shardName(s + 1, shards.size());
            NamedTensors tensors;
            for (const auto i : shards[s]) {
                const auto& [key, t] = content.tensors[i];
                tensors.emplace_back(key, t.detach().to(torch::kCPU, content.dtype).contiguous());
                weightMap[key] = name;
            }
            saveTensors((tmp / name).string(), tensors);
            report.files.push_back(name);
        }
        if (shards.size() > 1) {
            Json index = {{"metadata", {{"total_size", report.weightBytes}}}, {"weight_map", weightMap}};
            writeFileAtomic((tmp / "model.safetensors.index.json").string(), index.dump(2) + "\n");
            report.files.push_back("model.safetensors.index.json");
        }
        writeFileAtomic((tmp / "config.json").string(), content.config.dump(2) + "\n");
        report.files.push_back("config.json");
        for (const auto& file : modelSideFiles()) {
            for (const auto& dir : content.copyFrom) {
                const std::string src = joinPath(dir, file);
                if (!isRegularFile(src))
                    continue;
                writeFileAtomic((tmp / file).string(), readFile(src));
                report.files.push_back(file);
                break;
            }
        }
        // Into place: the old folder (with --force) is moved aside, then removed.
        if (fs::exists(out)) {
            const fs::path old = out.string() + ".old" + suffix;
            removeTree(old, ec);
            fs::rename(out, old);
            fs::rename(tmp, out);
            removeTree(old, ec);
        } else {
            if (out.has_parent_path())
                fs::create_directories(out.parent_path());
            fs::rename(tmp, out);
        }
    } catch (const fs::filesystem_error& e) {
        removeTree(tmp, ec);
        throw Error(outDir + ": " + e.what());
    } catch (...) {
        removeTree(tmp, ec);
        throw;
    }
    std::sort(report.files.begin(), report.files.end());
    return report;
}

} // namespace ps::adapters
