#include "ps/hub.h"

#include <nlohmann/json.hpp>

namespace ps {

std::string hubModelsToJson(const std::vector<HubModel>& models, int indent) {
    // Ordered, so the keys read in the documented order.
    using OrderedJson = nlohmann::ordered_json;
    OrderedJson array = OrderedJson::array();
    for (const HubModel& m : models) {
        OrderedJson j = OrderedJson::object();
        j["id"] = m.id;
        j["revision"] = m.revision;
        j["path"] = m.path;
        j["architecture"] = m.architecture;
        j["model_type"] = m.modelType;
        j["num_parameters"] = m.numParameters;
        j["size_bytes"] = m.sizeBytes;
        j["broken"] = m.broken;
        j["reason"] = m.reason;
        array.push_back(std::move(j));
    }
    // Paths and ids come from the disk: replace invalid UTF-8 instead of throwing.
    return array.dump(indent, ' ', false, OrderedJson::error_handler_t::replace);
}

} // namespace ps
