#include "model_jobs.h"

#include "qt_convert.h"

#include <exception>

namespace ps::ui {

ModelScanResult scanModels(const QStringList& folders) {
    ModelScanResult result;
    const ps::HubCacheLocation cache = ps::huggingFaceCacheLocation();
    result.cacheDir = toQ(cache.path);
    result.cacheSource = toQ(cache.source);
    ps::HubScanOptions options;
    options.cacheDir = cache.path;
    for (const QString& folder : folders)
        options.folders.push_back(toStd(folder));
    result.models = ps::discoverModels(options);
    return result;
}

FolderInspection inspectFolder(const QString& dir) {
    FolderInspection out;
    out.dir = dir;
    ps::HubScanOptions options;
    options.scanCache = false;
    options.folders = {toStd(dir)};
    const std::vector<ps::HubModel> entries = ps::discoverModels(options);
    if (!entries.empty())
        out.entry = entries.front();
    if (out.entry.broken) {
        // describe already found the first problem; say it the same way inspect would.
        out.error = toQ(out.entry.reason);
        return out;
    }
    try {
        out.info = ps::inspectModel(toStd(dir));
    } catch (const std::exception& e) {
        out.error = toQ(e.what());
    }
    return out;
}

} // namespace ps::ui
