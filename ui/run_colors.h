#pragma once
// The colours of runs in the comparison chart (and their swatches in the runs table and diff).
//
// A run's colour depends on the run, never on the order in which runs were selected or listed:
// each run id (its folder name) hashes to a preferred slot of a 10-colour qualitative palette.
// Two selected runs that prefer the same slot would be indistinguishable, so the set of shown
// runs is resolved in id order (ids start with the run's start time, so older runs first): each
// run takes its preferred slot if free, else the next free one. Selecting a newer run therefore
// never recolours the runs already shown, and reordering the selection changes nothing.
#include <QColor>
#include <QIcon>
#include <QString>
#include <QStringList>

#include <map>

namespace ps::ui {

// The preferred colour of a run (its palette slot from the id's hash).
QColor runColor(const QString& runId);

// A small rounded square of `color`, the same in selected rows (no highlight tint: it must match
// the chart's colour).
QIcon runSwatchIcon(const QColor& color);

// The colours of the runs shown together, resolved as described above.
std::map<QString, QColor> assignRunColors(const QStringList& runIds);

} // namespace ps::ui
