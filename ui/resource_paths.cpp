#include "resource_paths.h"

#include "ps/resources.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace ps::ui {

QStringList resourceDirs() {
    // core's lookup, shared with peft-studio-cli: relative to the executable only (installed:
    // <exe dir>/../share/peft-studio; build tree: the checkout's resources/ above it), so that no
    // build-time path is compiled into an installed binary.
    const std::string dir = ps::findResourcesDir(QCoreApplication::applicationFilePath().toStdString());
    if (dir.empty())
        return {};
    return {QString::fromStdString(dir)};
}

QString findResource(const QString& relative) {
    for (const QString& dir : resourceDirs()) {
        const QString path = dir + QLatin1Char('/') + relative;
        if (QFileInfo::exists(path))
            return path;
    }
    return {};
}

QString demoModelDir() {
    const QString dir = findResource(QStringLiteral("demo-model"));
    if (dir.isEmpty() || !QFileInfo::exists(dir + QStringLiteral("/config.json")))
        return {};
    return dir;
}

} // namespace ps::ui
