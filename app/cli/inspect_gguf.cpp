#include "inspect_gguf.h"

#include "ps/gguf.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

namespace ps::cli {
namespace {

std::string shapeText(const std::vector<std::uint64_t>& ne) {
    std::string s = "{";
    for (std::size_t k = 0; k < ne.size(); ++k)
        s += (k ? ", " : "") + std::to_string(ne[k]);
    return s + "}";
}

const char* typeName(std::uint32_t type) {
    const GgmlTypeInfo* t = ggmlTypeInfo(type);
    return t ? t->name : "?";
}

// Long arrays (a vocabulary) are summarised, not dumped.
nlohmann::json valueJson(const GgufValue& v) {
    switch (v.type) {
    case GgufValueType::String:
        return v.s;
    case GgufValueType::Float32:
    case GgufValueType::Float64:
        return v.f;
    case GgufValueType::Bool:
        return v.u != 0;
    case GgufValueType::Int8:
    case GgufValueType::Int16:
    case GgufValueType::Int32:
    case GgufValueType::Int64:
        return v.i;
    case GgufValueType::Array:
        if (v.array.size() > 16)
            return v.toString();
        {
            nlohmann::json a = nlohmann::json::array();
            for (const auto& e : v.array)
                a.push_back(valueJson(e));
            return a;
        }
    default:
        return v.u;
    }
}

} // namespace

bool looksLikeGguf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    return in.read(magic, 4) && std::string(magic, 4) == "GGUF";
}

int inspectGgufFile(const std::string& path, bool json) {
    const auto f = GgufFile::open(path);
    if (json) {
        nlohmann::json j;
        j["path"] = path;
        j["version"] = f->version();
        j["alignment"] = f->alignment();
        j["metadata"] = nlohmann::json::object();
        for (const auto& [key, value] : f->metadata())
            j["metadata"][key] = valueJson(value);
        j["tensors"] = nlohmann::json::array();
        for (const auto& t : f->tensors())
            j["tensors"].push_back({{"name", t.name}, {"ne", t.ne}, {"type", typeName(t.type)}, {"offset", t.offset}});
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "GGUF file               " << path << "\n"
              << "version                 " << f->version() << "\n"
              << "alignment               " << f->alignment() << "\n"
              << "size                    " << f->fileSize() << " bytes\n"
              << "metadata (" << f->metadata().size() << ")\n";
    for (const auto& [key, value] : f->metadata())
        std::cout << "  " << key << " = " << value.toString() << "\n";
    std::cout << "tensors (" << f->tensors().size() << ", ne innermost first)\n";
    for (const auto& t : f->tensors())
        std::cout << "  " << t.name << "  " << typeName(t.type) << " " << shapeText(t.ne) << "\n";
    return 0;
}

} // namespace ps::cli
