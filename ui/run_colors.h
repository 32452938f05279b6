#pragma once
// The colour of a run in the comparison chart and the runs table. It is derived from the run's id
// (its folder name) alone, so a run keeps its colour whatever else is selected, in whichever order,
// and from one session to the next.
#include <QColor>
#include <QString>

namespace ps::ui {

QColor runColor(const QString& runId);

} // namespace ps::ui
