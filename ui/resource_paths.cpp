#include "resource_paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace ps::ui {

QStringList resourceDirs() {
    QStringList candidates;
    const QString exeDir = QCoreApplication::applicationDirPath();
    candidates << QDir::cleanPath(exeDir + QStringLiteral("/../share/peft-studio"));
#if defined(PS_SOURCE_RESOURCES_DIR) && defined(PS_BUILD_DIR)
    // The source tree only counts for binaries inside the build tree: an installed copy must
    // not pick up files from wherever it happened to be built.
    const QString buildDir = QDir::cleanPath(QStringLiteral(PS_BUILD_DIR));
    if (QDir::cleanPath(exeDir).startsWith(buildDir))
        candidates << QDir::cleanPath(QStringLiteral(PS_SOURCE_RESOURCES_DIR));
#endif
    QStringList existing;
    for (const QString& dir : candidates)
        if (QFileInfo(dir).isDir())
            existing << dir;
    return existing;
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
