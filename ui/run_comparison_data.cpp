#include "run_comparison_data.h"

#include "metrics_history.h"
#include "qt_convert.h"

#include "ps/error.h"
#include "ps/runs.h"

#include <QCoreApplication>
#include <QFile>

#include <cmath>

namespace ps::ui {
namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("RunComparison", text);
}

QString csvText(const QString& s) {
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s;
    QString quoted = s;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

// 17 significant digits: the CSV reads back as the very doubles of metrics.jsonl.
QString csvNumber(double v) {
    if (std::isnan(v))
        return QStringLiteral("nan");
    if (std::isinf(v))
        return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    return QString::number(v, 'g', 17);
}

QString csvOptional(const std::optional<double>& v) {
    return v ? csvNumber(*v) : QString();
}

} // namespace

ComparedRun loadComparedRun(const QString& id, const QString& name, const QString& dir) {
    ComparedRun run{id, name, dir, {}, std::nullopt, {}};
    QStringList problems;
    try {
        run.samples = ps::readMetricsFile(ps::runMetricsPath(toStd(dir)));
    } catch (const std::exception& e) {
        problems << QString::fromUtf8(e.what());
    }
    try {
        const std::string path = ps::runConfigPath(toStd(dir));
        QFile file(toQ(path));
        if (!file.open(QIODevice::ReadOnly))
            throw ps::Error(path + ": " + toStd(file.errorString()));
        run.config = ps::parseRunConfigYaml(file.readAll().toStdString(), path);
    } catch (const std::exception& e) {
        problems << QString::fromUtf8(e.what());
    }
    run.error = problems.join(QLatin1Char('\n'));
    return run;
}

QString axisTitle(ComparisonAxis axis) {
    switch (axis) {
    case ComparisonAxis::Step:
        return tr("Step");
    case ComparisonAxis::Epoch:
        return tr("Epoch");
    case ComparisonAxis::Tokens:
        return tr("Trained tokens");
    case ComparisonAxis::Time:
        return tr("Elapsed time (min)");
    }
    return {};
}

double axisValue(const ps::MetricSample& s, ComparisonAxis axis) {
    switch (axis) {
    case ComparisonAxis::Step:
        return static_cast<double>(s.step);
    case ComparisonAxis::Epoch:
        return s.epoch;
    case ComparisonAxis::Tokens:
        return static_cast<double>(s.tokensSeen);
    case ComparisonAxis::Time:
        return s.elapsedSec / 60.0; // minutes: runs last minutes to hours
    }
    return 0;
}

Curve trainLossCurve(const std::vector<ps::MetricSample>& samples, ComparisonAxis axis) {
    Curve c;
    for (const auto& s : samples)
        if (s.kind == ps::MetricSample::Kind::Train && s.loss) {
            c.x.push_back(axisValue(s, axis));
            c.y.push_back(*s.loss);
        }
    return c;
}

Curve evalLossCurve(const std::vector<ps::MetricSample>& samples, ComparisonAxis axis) {
    Curve c;
    for (const auto& s : samples)
        if (s.kind == ps::MetricSample::Kind::Eval && s.evalLoss) {
            c.x.push_back(axisValue(s, axis));
            c.y.push_back(*s.evalLoss);
        }
    return c;
}

std::vector<double> smoothed(const std::vector<double>& values, double weight) {
    if (weight <= 0)
        return values;
    EmaSmoother ema(weight);
    std::vector<double> out;
    out.reserve(values.size());
    for (const double v : values)
        out.push_back(ema.add(v));
    return out;
}

std::vector<ps::ConfigDifference> configDiff(const std::vector<ComparedRun>& runs) {
    std::vector<ps::RunConfig> configs;
    for (const auto& r : runs)
        if (r.config)
            configs.push_back(*r.config);
    return ps::differingConfigKeys(configs);
}

QString metricsCsv(const std::vector<ComparedRun>& runs) {
    QString out = QStringLiteral("run,run_id,kind,step,epoch,tokens,elapsed_sec,loss,eval_loss,learning_rate,"
                                 "grad_norm,tokens_per_sec,rss_bytes\n");
    for (const auto& r : runs)
        for (const auto& s : r.samples) {
            const bool eval = s.kind == ps::MetricSample::Kind::Eval;
            out += QStringList{csvText(r.name),
                               csvText(r.id),
                               eval ? QStringLiteral("eval") : QStringLiteral("train"),
                               QString::number(s.step),
                               csvNumber(s.epoch),
                               QString::number(s.tokensSeen),
                               csvNumber(s.elapsedSec),
                               csvOptional(s.loss),
                               csvOptional(s.evalLoss),
                               csvOptional(s.learningRate),
                               csvOptional(s.gradNorm),
                               eval ? QString() : csvNumber(s.tokensPerSec),
                               QString::number(s.rssBytes)}
                       .join(QLatin1Char(','));
            out += QLatin1Char('\n');
        }
    return out;
}

} // namespace ps::ui
