#include "io/torch_tensors.h"

#include "ps/error.h"

namespace ps {

torch::Dtype toTorchDtype(DType dtype) {
    switch (dtype) {
    case DType::F32: return torch::kFloat32;
    case DType::F16: return torch::kFloat16;
    case DType::BF16: return torch::kBFloat16;
    case DType::F64: return torch::kFloat64;
    case DType::I64: return torch::kInt64;
    case DType::I32: return torch::kInt32;
    case DType::I16: return torch::kInt16;
    case DType::I8: return torch::kInt8;
    case DType::U8: return torch::kUInt8;
    case DType::BOOL: return torch::kBool;
    }
    return torch::kFloat32;
}

DType fromTorchDtype(torch::Dtype dtype, const std::string& what) {
    switch (dtype) {
    case torch::kFloat32: return DType::F32;
    case torch::kFloat16: return DType::F16;
    case torch::kBFloat16: return DType::BF16;
    case torch::kFloat64: return DType::F64;
    case torch::kInt64: return DType::I64;
    case torch::kInt32: return DType::I32;
    case torch::kInt16: return DType::I16;
    case torch::kInt8: return DType::I8;
    case torch::kUInt8: return DType::U8;
    case torch::kBool: return DType::BOOL;
    default: break;
    }
    throw Error(what + ": dtype " + std::string(c10::toString(dtype)) + " cannot be stored in safetensors");
}

torch::Tensor tensorFromFile(const std::shared_ptr<const SafetensorsFile>& file, const TensorInfo& info) {
    const auto dtype = toTorchDtype(info.dtype);
    std::vector<int64_t> shape(info.shape.begin(), info.shape.end());
    const void* ptr = file->data(info);
    const auto align = dtypeSize(info.dtype);
    if (info.nbytes == 0)
        return torch::empty(shape, torch::TensorOptions().dtype(dtype));
    if (reinterpret_cast<std::uintptr_t>(ptr) % align == 0) {
        auto keepAlive = new std::shared_ptr<const SafetensorsFile>(file);
        return torch::from_blob(const_cast<void*>(ptr), shape,
                                [keepAlive](void*) { delete keepAlive; },
                                torch::TensorOptions().dtype(dtype));
    }
    auto out = torch::empty(shape, torch::TensorOptions().dtype(dtype));
    std::memcpy(out.data_ptr(), ptr, info.nbytes);
    return out;
}

torch::Tensor loadTensor(const SafetensorsCheckpoint& ckpt, const std::string& name) {
    const SafetensorsFile* file = nullptr;
    const TensorInfo* info = ckpt.find(name, &file);
    if (!info)
        throw Error("checkpoint has no tensor '" + name + "'");
    for (const auto& f : ckpt.files())
        if (f.get() == file)
            return tensorFromFile(f, *info);
    throw Error("checkpoint has no tensor '" + name + "'");
}

void saveTensors(const std::string& path, const NamedTensors& tensors, std::map<std::string, std::string> metadata) {
    std::vector<torch::Tensor> keep;
    std::vector<TensorToWrite> out;
    keep.reserve(tensors.size());
    out.reserve(tensors.size());
    for (const auto& [name, t] : tensors) {
        auto c = t.detach().to(torch::kCPU).contiguous();
        keep.push_back(c);
        TensorToWrite w;
        w.name = name;
        w.dtype = fromTorchDtype(c.scalar_type(), path + ": tensor '" + name + "'");
        w.shape.assign(c.sizes().begin(), c.sizes().end());
        w.data = c.data_ptr();
        out.push_back(std::move(w));
    }
    writeSafetensors(path, out, std::move(metadata));
}

NamedTensors loadAllTensors(const std::string& path) {
    auto file = SafetensorsFile::open(path);
    NamedTensors out;
    for (const auto& info : file->tensors())
        out.emplace_back(info.name, tensorFromFile(file, info).clone());
    return out;
}

} // namespace ps
