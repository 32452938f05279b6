#pragma once
// Where the studio's data files (demo model, demo data) are: <exe>/../share/peft-studio when
// installed, the source tree's resources/ when running from the build tree.
#include <QString>
#include <QStringList>

namespace ps::ui {

// Existing candidate folders, in lookup order.
QStringList resourceDirs();

// Absolute path of `relative` in the first resource folder that has it; empty if none does.
QString findResource(const QString& relative);

// The demo model folder (a folder with config.json), or empty when this build has none.
QString demoModelDir();

} // namespace ps::ui
