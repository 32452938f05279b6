#include "live_run_metrics.h"

#include "qt_convert.h"

#include "ps/metrics.h"
#include "ps/runs.h"

#include <QFile>

#include <algorithm>

namespace ps::ui {

void applyLiveMetrics(ps::RunRecord& record, qint64 tailBytes) {
    QFile file(toQ(ps::runMetricsPath(record.path)));
    if (!file.open(QIODevice::ReadOnly))
        return;
    const qint64 start = std::max<qint64>(0, file.size() - tailBytes);
    file.seek(start);
    QList<QByteArray> lines = file.readAll().split('\n');
    if (start > 0 && !lines.isEmpty())
        lines.removeFirst(); // begins mid-line
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        if (it->trimmed().isEmpty())
            continue;
        ps::MetricSample s;
        try {
            s = ps::metricSampleFromJson(it->toStdString(), "metrics.jsonl");
        } catch (const std::exception&) {
            continue; // the line being written right now
        }
        if (s.kind != ps::MetricSample::Kind::Train)
            continue;
        record.steps = s.step;
        if (s.loss)
            record.finalLoss = s.loss;
        record.tokensPerSec = s.elapsedSec > 0 ? static_cast<double>(s.tokensSeen) / s.elapsedSec : s.tokensPerSec;
        record.peakMemoryBytes = s.cudaPeakBytes > 0 ? s.cudaPeakBytes : s.peakRssBytes; // as summary.json
        record.durationSec = s.elapsedSec;
        return;
    }
}

std::vector<ps::RunRecord> listRunsLive(ps::RunCatalog& catalog) {
    std::vector<ps::RunRecord> runs = catalog.list();
    for (auto& r : runs)
        if (r.status == ps::RunStatus::Running)
            applyLiveMetrics(r);
    return runs;
}

} // namespace ps::ui
