#include "method_jobs.h"

#include "qt_convert.h"

#include "ps/run_method.h"

#include <QObject>

#include <exception>

namespace ps::ui {

MethodEstimate estimateMethod(const ps::RunConfig& config, const std::optional<ps::ModelInfo>& known) {
    MethodEstimate out;
    out.config = config;
    if (config.model_name_or_path.empty()) {
        out.modelError = QObject::tr("Choose a base model on the Model page first.");
        return out;
    }
    try {
        out.model = known ? *known : ps::inspectModel(config.model_name_or_path);
    } catch (const std::exception& e) {
        out.modelError = toQ(e.what());
        return out;
    }
    try {
        const ps::AdapterSpec spec = ps::adapterSpecForRun(config);
        out.count = ps::countTrainableParameters(config.model_name_or_path, spec);
        out.file = ps::estimateAdapterFile(config.model_name_or_path, spec);
        out.memory = ps::estimateTrainingMemory(*out.model, config, out.count.trainable);
        out.counted = true;
    } catch (const std::exception& e) {
        out.methodError = toQ(e.what());
    }
    return out;
}

} // namespace ps::ui
