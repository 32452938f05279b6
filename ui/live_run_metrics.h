#pragma once
// Live figures for a running run's row. The trainer writes summary.json when a run starts, pauses
// and ends, and metrics.jsonl at every logging step; so while a run is running, its row takes
// steps, last loss, speed, memory and time from the last metrics.jsonl lines instead.
#include "ps/run_catalog.h"

#include <QtGlobal>

#include <vector>

namespace ps::ui {

// Reads at most the last `tailBytes` of the run's metrics.jsonl (a long run's file is never
// read whole every poll) and, when a train sample is there, updates `record`'s steps, final loss,
// tokens/s, peak memory and duration from the last one. Unparsable (torn) lines are skipped.
// Runs on the catalog thread. Never throws.
void applyLiveMetrics(ps::RunRecord& record, qint64 tailBytes = 64 * 1024);

// catalog.list() with applyLiveMetrics() on the running runs.
std::vector<ps::RunRecord> listRunsLive(ps::RunCatalog& catalog);

} // namespace ps::ui
