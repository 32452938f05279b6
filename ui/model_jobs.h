#pragma once
// The model page's background work, as plain functions returning plain values: they run on a
// QtConcurrent worker and never touch widgets. Errors come back as text, never as exceptions.
#include "ps/hub.h"
#include "ps/model_info.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace ps::ui {

struct ModelScanResult {
    std::vector<ps::HubModel> models; // cache models, then the recent folders
    QString cacheDir;
    QString cacheSource; // which setting chose the cache folder ("HF_HOME", "home", ...)
};

// Lists the Hugging Face cache plus `folders`.
ModelScanResult scanModels(const QStringList& folders);

struct FolderInspection {
    QString dir;
    ps::HubModel entry;                // the row the model table shows for this folder
    std::optional<ps::ModelInfo> info; // set when the folder can be inspected
    QString error;                     // plain words when it cannot
};

// Describes and inspects one model folder.
FolderInspection inspectFolder(const QString& dir);

} // namespace ps::ui
