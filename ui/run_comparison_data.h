#pragma once
// What the run comparison shows, as plain values and pure functions (no widgets): the runs'
// metrics and configs read from their folders (on a worker thread), the loss curves against the
// chosen x axis, the config diff and the CSV export.
#include "ps/metrics.h"
#include "ps/run_compare.h"
#include "ps/run_config.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace ps::ui {

struct ComparedRun {
    QString id;   // the run folder's name (its colour comes from it)
    QString name; // the display name
    QString dir;
    std::vector<ps::MetricSample> samples; // metrics.jsonl, a torn final line left out
    std::optional<ps::RunConfig> config;   // config.yaml, when it can be read
    QString error;                         // what could not be read, in plain words
};

// Reads one run folder's metrics.jsonl and config.yaml. Never throws: problems go to `error`.
ComparedRun loadComparedRun(const QString& id, const QString& name, const QString& dir);

enum class ComparisonAxis { Step, Epoch, Tokens, Time };

QString axisTitle(ComparisonAxis axis); // "Step", "Epoch", "Trained tokens", "Elapsed time (min)"
double axisValue(const ps::MetricSample& sample, ComparisonAxis axis);

struct Curve {
    std::vector<double> x;
    std::vector<double> y;
};

// The training loss (kind train, with a loss) and eval loss (kind eval, with an eval loss) points,
// in file order, against `axis`.
Curve trainLossCurve(const std::vector<ps::MetricSample>& samples, ComparisonAxis axis);
Curve evalLossCurve(const std::vector<ps::MetricSample>& samples, ComparisonAxis axis);
// The Train page's smoothing (EmaSmoother) with `weight`; 0 returns `values` unchanged.
std::vector<double> smoothed(const std::vector<double>& values, double weight);

// The keys that differ between the runs that have a readable config (ps::differingConfigKeys).
std::vector<ps::ConfigDifference> configDiff(const std::vector<ComparedRun>& runs);

// One row per metric sample of every run, in run order then file order:
//   run,run_id,kind,step,epoch,tokens,elapsed_sec,loss,eval_loss,learning_rate,grad_norm,tokens_per_sec,rss_bytes
// Missing values are empty cells; text is quoted as RFC 4180 says.
QString metricsCsv(const std::vector<ComparedRun>& runs);

} // namespace ps::ui
