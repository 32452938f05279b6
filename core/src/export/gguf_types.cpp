// GGUF value-type names, ggml tensor-type block layouts and value printing.
#include "ps/gguf.h"

#include <cstdio>

namespace ps {
namespace {

// (id, name, elements per block, bytes per block): gguf-py's GGML_QUANT_SIZES (QK_K = 256).
constexpr GgmlTypeInfo kTypes[] = {
    {0, "F32", 1, 4},         {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},      {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},      {7, "Q5_1", 32, 24},      {8, "Q8_0", 32, 34},      {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},    {11, "Q3_K", 256, 110},   {12, "Q4_K", 256, 144},   {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},   {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
    {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50},   {20, "IQ4_NL", 32, 18},   {21, "IQ3_S", 256, 110},
    {22, "IQ2_S", 256, 82},   {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},         {25, "I16", 1, 2},
    {26, "I32", 1, 4},        {27, "I64", 1, 8},        {28, "F64", 1, 8},        {29, "IQ1_M", 256, 56},
    {30, "BF16", 1, 2},       {34, "TQ1_0", 256, 54},   {35, "TQ2_0", 256, 66},   {39, "MXFP4", 32, 17},
};

} // namespace

const char* ggufValueTypeName(GgufValueType type) {
    switch (type) {
    case GgufValueType::Uint8:
        return "uint8";
    case GgufValueType::Int8:
        return "int8";
    case GgufValueType::Uint16:
        return "uint16";
    case GgufValueType::Int16:
        return "int16";
    case GgufValueType::Uint32:
        return "uint32";
    case GgufValueType::Int32:
        return "int32";
    case GgufValueType::Float32:
        return "float32";
    case GgufValueType::Bool:
        return "bool";
    case GgufValueType::String:
        return "string";
    case GgufValueType::Array:
        return "array";
    case GgufValueType::Uint64:
        return "uint64";
    case GgufValueType::Int64:
        return "int64";
    case GgufValueType::Float64:
        return "float64";
    }
    return "?";
}

const GgmlTypeInfo* ggmlTypeInfo(std::uint32_t id) {
    for (const auto& t : kTypes)
        if (t.id == id)
            return &t;
    return nullptr;
}

std::string GgufValue::toString() const {
    char buf[64];
    switch (type) {
    case GgufValueType::Uint8:
    case GgufValueType::Uint16:
    case GgufValueType::Uint32:
    case GgufValueType::Uint64:
        return std::to_string(u);
    case GgufValueType::Int8:
    case GgufValueType::Int16:
    case GgufValueType::Int32:
    case GgufValueType::Int64:
        return std::to_string(i);
    case GgufValueType::Float32:
    case GgufValueType::Float64:
        std::snprintf(buf, sizeof buf, "%.9g", f);
        return buf;
    case GgufValueType::Bool:
        return u ? "true" : "false";
    case GgufValueType::String:
        return "\"" + s + "\"";
    case GgufValueType::Array:
        return "[" + std::to_string(array.size()) + " x " + ggufValueTypeName(arrayType) + "]";
    }
    return "?";
}

std::uint64_t GgufTensorInfo::numel() const {
    std::uint64_t n = 1;
    for (const auto d : ne)
        n *= d; // validated against overflow when read
    return n;
}

} // namespace ps
