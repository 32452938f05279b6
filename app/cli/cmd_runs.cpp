// runs: list the runs under a runs folder, show one, compare several side by side.
#include "cli_args.h"
#include "commands.h"

#include "ps/error.h"
#include "ps/metrics.h"
#include "ps/run_catalog.h"
#include "ps/run_compare.h"
#include "ps/run_config.h"
#include "ps/runs.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

namespace ps::cli {
namespace {

using Json = nlohmann::json;

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string lossText(const std::optional<double>& v) {
    return v ? fmt("%.4f", *v) : "-";
}

std::string bytesText(std::uint64_t b) {
    if (b == 0)
        return "-";
    if (b >= (1ull << 30))
        return fmt("%.1f GiB", static_cast<double>(b) / (1ull << 30));
    return fmt("%.0f MiB", static_cast<double>(b) / (1ull << 20));
}

std::string durationText(double sec) {
    if (!(sec > 0))
        return "-";
    const auto s = static_cast<long long>(std::llround(sec));
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", s / 3600, (s / 60) % 60, s % 60);
    else if (s >= 60)
        std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%llds", s);
    return buf;
}

Json optionalJson(const std::optional<double>& v) {
    if (!v)
        return nullptr;
    if (!std::isfinite(*v))
        return std::isnan(*v) ? "nan" : (*v > 0 ? "inf" : "-inf");
    return *v;
}

Json recordJson(const RunRecord& r) {
    return {{"id", r.id},
            {"path", r.path},
            {"name", r.name},
            {"model", r.model},
            {"method", r.method},
            {"dataset", r.dataset},
            {"rank", r.rank},
            {"learning_rate", r.learningRate},
            {"status", runStatusName(r.status)},
            {"final_loss", optionalJson(r.finalLoss)},
            {"best_eval_loss", optionalJson(r.bestEvalLoss)},
            {"steps", r.steps},
            {"tokens_per_sec", r.tokensPerSec},
            {"peak_memory_bytes", r.peakMemoryBytes},
            {"duration_sec", r.durationSec},
            {"started_at", r.startedAt},
            {"tags", r.tags},
            {"notes", r.notes}};
}

// Prints rows as columns padded to the widest cell.
void printTable(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i)
                width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i)
            line += i + 1 < row.size() ? row[i] + std::string(width[i] - row[i].size() + 2, ' ') : row[i];
        std::cout << line << "\n";
    }
}

std::optional<RunConfig> configOf(const std::string& runDir, std::string* error) {
    try {
        return loadRunConfig(runConfigPath(runDir), {}, false);
    } catch (const Error& e) {
        *error = e.what();
        return std::nullopt;
    }
}

int listRuns(const std::string& root, bool json) {
    std::vector<RunRecord> runs;
    std::error_code ec;
    if (std::filesystem::is_directory(root, ec))
        runs = RunCatalog(root).list();
    if (json) {
        Json out = Json::array();
        for (const auto& r : runs)
            out.push_back(recordJson(r));
        std::cout << out.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
        return 0;
    }
    if (runs.empty()) {
        std::cout << "No runs under " << root << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows{{"RUN", "STATUS", "METHOD", "RANK", "LR", "MODEL", "LOSS", "BEST EVAL",
                                                "TOK/S", "PEAK MEM", "TIME", "STARTED"}};
    for (const auto& r : runs)
        rows.push_back({r.id, runStatusName(r.status), r.method, std::to_string(r.rank), fmt("%g", r.learningRate),
                        r.model, lossText(r.finalLoss), lossText(r.bestEvalLoss),
                        r.tokensPerSec > 0 ? fmt("%.1f", r.tokensPerSec) : "-", bytesText(r.peakMemoryBytes),
                        durationText(r.durationSec), r.startedAt});
    printTable(rows);
    return 0;
}

int showRun(const std::string& root, const std::string& run, bool json) {
    const std::string dir = findRunFolder(root, run);
    const RunRecord record = readRunRecord(dir);
    std::string configError;
    const auto config = configOf(dir, &configError);
    std::optional<RunSummary> summary;
    std::string summaryError;
    try {
        summary = readRunSummary(dir);
    } catch (const Error& e) {
        summaryError = e.what();
    }
    const auto metrics = readMetricsFile(runMetricsPath(dir));
    if (json) {
        Json out = {{"run", recordJson(record)}};
        if (config) {
            Json c = Json::object();
            for (const auto& k : runConfigKeys())
                c[k.name] = runConfigValue(*config, k.name);
            out["config"] = c;
        } else {
            out["config_error"] = configError;
        }
        if (summary)
            out["summary"] = Json::parse(runSummaryToJson(*summary));
        else
            out["summary_error"] = summaryError;
        out["metrics_count"] = metrics.size();
        if (!metrics.empty())
            out["last_metrics"] = Json::parse(metricSampleToJson(metrics.back()));
        std::cout << out.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows{
        {"Run", record.id}, {"Folder", dir}, {"Name", record.name}, {"Status", runStatusName(record.status)}};
    if (config) {
        rows.push_back({"Model", config->model_name_or_path});
        rows.push_back({"Dataset", config->dataset});
        std::string method = config->finetuning_type;
        if (config->usesLora() || config->finetuning_type == "loha" || config->finetuning_type == "lokr")
            method += " r=" + std::to_string(config->lora_rank) + " alpha=" + fmt("%g", config->effectiveLoraAlpha());
        rows.push_back({"Method", method});
        rows.push_back({"Learning rate", fmt("%g", config->learning_rate) + " (" + config->lr_scheduler_type + ")"});
    } else {
        rows.push_back({"Config", configError});
    }
    if (summary) {
        rows.push_back({"Steps", std::to_string(summary->steps) + " / " + std::to_string(summary->totalSteps) + " (" +
                                     fmt("%.2f", summary->epochs) + " epochs)"});
        rows.push_back({"Final loss", lossText(summary->finalLoss)});
        rows.push_back(
            {"Best eval loss", lossText(summary->bestEvalLoss) +
                                   (summary->bestStep >= 0 ? " at step " + std::to_string(summary->bestStep) : "")});
        rows.push_back(
            {"Tokens", std::to_string(summary->tokens) + " (" + fmt("%.1f", summary->tokensPerSec) + " tokens/s)"});
        rows.push_back({"Peak memory", bytesText(summary->peakMemoryBytes) + " (" + summary->memoryKind + ")"});
        rows.push_back({"Duration", durationText(summary->durationSec)});
        rows.push_back({"Started", summary->startedAt});
        if (!summary->finishedAt.empty())
            rows.push_back({"Finished", summary->finishedAt});
        if (!summary->error.empty())
            rows.push_back({"Error", summary->error});
    } else {
        rows.push_back({"Summary", summaryError});
    }
    if (!record.tags.empty()) {
        std::string tags;
        for (const auto& t : record.tags)
            tags += (tags.empty() ? "" : ", ") + t;
        rows.push_back({"Tags", tags});
    }
    if (!record.notes.empty())
        rows.push_back({"Notes", record.notes});
    rows.push_back({"Metrics", std::to_string(metrics.size()) + " events in " + runMetricsPath(dir)});
    printTable(rows);
    if (config) {
        std::cout << "\nSettings that differ from the defaults:\n";
        const RunConfig defaults;
        for (const auto& k : runConfigKeys()) {
            const std::string v = runConfigValue(*config, k.name);
            if (v != runConfigValue(defaults, k.name))
                std::cout << "  " << k.name << ": " << v << "\n";
        }
    }
    return 0;
}

int compareRuns(const std::string& root, const std::vector<std::string>& names, bool json) {
    if (names.size() < 2)
        throw Error("runs compare needs at least two runs");
    std::vector<std::string> dirs;
    std::vector<RunRecord> records;
    std::vector<RunConfig> configs;
    for (const auto& n : names) {
        dirs.push_back(findRunFolder(root, n));
        records.push_back(readRunRecord(dirs.back()));
        std::string error;
        const auto c = configOf(dirs.back(), &error);
        if (!c)
            throw Error(error);
        configs.push_back(*c);
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> diff;
    for (auto& d : differingConfigKeys(configs))
        diff.emplace_back(std::move(d.key), std::move(d.values));
    std::vector<std::pair<std::string, std::vector<std::string>>> results;
    auto addResult = [&](const char* label, auto get) {
        std::vector<std::string> v;
        for (const auto& r : records)
            v.push_back(get(r));
        results.emplace_back(label, v);
    };
    addResult("status", [](const RunRecord& r) { return std::string(runStatusName(r.status)); });
    addResult("final loss", [](const RunRecord& r) { return lossText(r.finalLoss); });
    addResult("best eval loss", [](const RunRecord& r) { return lossText(r.bestEvalLoss); });
    addResult("steps", [](const RunRecord& r) { return std::to_string(r.steps); });
    addResult("tokens/s", [](const RunRecord& r) { return r.tokensPerSec > 0 ? fmt("%.1f", r.tokensPerSec) : "-"; });
    addResult("peak memory", [](const RunRecord& r) { return bytesText(r.peakMemoryBytes); });
    addResult("duration", [](const RunRecord& r) { return durationText(r.durationSec); });

    if (json) {
        Json out = {{"runs", Json::array()}, {"config_diff", Json::object()}};
        for (const auto& r : records)
            out["runs"].push_back(recordJson(r));
        for (const auto& [key, values] : diff)
            out["config_diff"][key] = values;
        std::cout << out.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header{""};
    for (const auto& r : records)
        header.push_back(r.id);
    rows.push_back(header);
    if (diff.empty())
        rows.push_back({"(identical settings)"});
    for (const auto& [key, values] : diff) {
        std::vector<std::string> row{key};
        row.insert(row.end(), values.begin(), values.end());
        rows.push_back(row);
    }
    rows.push_back({""});
    for (const auto& [label, values] : results) {
        std::vector<std::string> row{label};
        row.insert(row.end(), values.begin(), values.end());
        rows.push_back(row);
    }
    printTable(rows);
    return 0;
}

int runRuns(const Args& args) {
    CliArgs a(args, {"root"}, {"json"});
    const std::string root = a.value("root").value_or(defaultRunsRoot());
    const auto& pos = a.positionals();
    const std::string sub = pos.empty() ? "list" : pos[0];
    const std::vector<std::string> rest(pos.begin() + (pos.empty() ? 0 : 1), pos.end());
    if (sub == "list") {
        if (!rest.empty())
            throw Error("runs list takes no run names (did you mean 'runs show " + rest[0] + "'?)");
        return listRuns(root, a.flag("json"));
    }
    if (sub == "show") {
        if (rest.size() != 1)
            throw Error("runs show needs exactly one run (a folder, or a run name under " + root + ")");
        return showRun(root, rest[0], a.flag("json"));
    }
    if (sub == "compare")
        return compareRuns(root, rest, a.flag("json"));
    throw Error("unknown runs command '" + sub + "' (expected list, show or compare)");
}

const CommandRegistration reg{{"runs", "runs [list | show RUN | compare RUN RUN ...] [--json] [--root DIR]",
                               "List training runs, show one, or compare settings and results side by side.",
                               &runRuns}};

} // namespace
} // namespace ps::cli
