#pragma once
// Synthetic run folders for the Runs page tests, written through core's API (createRunFolder,
// writeRunSummary, metricSampleToJson) into a temporary runs root: the tests compare what the
// page shows with these files, not with the page's own earlier output.
#include "ps/metrics.h"
#include "ps/run_config.h"
#include "ps/runs.h"

#include <QFile>
#include <QString>

#include <chrono>
#include <vector>

namespace ps::ui::test {

struct SyntheticRun {
    QString name;
    std::string method = "lora";
    std::int64_t rank = 8;
    double lr = 1e-4;
    ps::RunStatus status = ps::RunStatus::Completed;
    std::optional<double> finalLoss;
    std::optional<double> bestEvalLoss;
    double tokensPerSec = 0;
    std::uint64_t peakMemory = 0;
    double durationSec = 0;
    std::string dataset = "/data/alpaca-clean.jsonl";
    std::vector<ps::MetricSample> samples;
    int minutesAgo = 0; // distinct start times give distinct folder names
};

inline SyntheticRun makeRun(const QString& name, const std::string& method, std::int64_t rank, double lr,
                            ps::RunStatus status = ps::RunStatus::Completed) {
    SyntheticRun r;
    r.name = name;
    r.method = method;
    r.rank = rank;
    r.lr = lr;
    r.status = status;
    return r;
}

inline ps::MetricSample trainPoint(std::int64_t step, double loss) {
    ps::MetricSample s;
    s.step = step;
    s.totalSteps = 20;
    s.epoch = static_cast<double>(step) / 10.0;
    s.loss = loss;
    s.learningRate = 1e-4;
    s.tokensPerSec = 500;
    s.tokensSeen = static_cast<std::uint64_t>(step) * 256;
    s.elapsedSec = static_cast<double>(step) * 1.5;
    return s;
}

inline ps::MetricSample evalPoint(std::int64_t step, double evalLoss) {
    ps::MetricSample s = trainPoint(step, 0);
    s.kind = ps::MetricSample::Kind::Eval;
    s.loss.reset();
    s.learningRate.reset();
    s.tokensPerSec = 0;
    s.evalLoss = evalLoss;
    return s;
}

// Creates the run folder under `root`; returns it.
inline std::string writeRun(const QString& root, const SyntheticRun& run) {
    ps::RunConfig c;
    c.model_name_or_path = "/models/SmolLM2-135M";
    c.dataset = run.dataset;
    c.finetuning_type = run.method;
    c.lora_rank = run.rank;
    c.learning_rate = run.lr;
    c.output_dir = root.toStdString();
    c.run_name = run.name.toStdString();
    const auto started = std::chrono::system_clock::now() - std::chrono::minutes(run.minutesAgo);
    const std::string dir = ps::createRunFolder(c, nullptr, started);
    ps::RunSummary s;
    s.status = run.status;
    s.finalLoss = run.finalLoss;
    s.bestEvalLoss = run.bestEvalLoss;
    s.steps = 20;
    s.totalSteps = 20;
    s.tokensPerSec = run.tokensPerSec;
    s.peakMemoryBytes = run.peakMemory;
    s.durationSec = run.durationSec;
    s.startedAt = ps::isoTimestampUtc(started);
    ps::writeRunSummary(dir, s);
    QFile metrics(QString::fromStdString(ps::runMetricsPath(dir)));
    if (metrics.open(QIODevice::WriteOnly))
        for (const auto& sample : run.samples)
            metrics.write(QByteArray::fromStdString(ps::metricSampleToJson(sample) + "\n"));
    return dir;
}

} // namespace ps::ui::test
