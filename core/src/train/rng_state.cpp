#include "train/rng_state.h"

#include "ps/error.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include <mutex>
#include <sstream>

namespace ps::train {
namespace {

at::Generator generatorFor(const std::string& name, const std::string& what, bool* available) {
    *available = true;
    if (name == "torch_cpu")
        return at::detail::getDefaultCPUGenerator();
    const std::string prefix = "torch_cuda_";
    if (name.rfind(prefix, 0) == 0) {
        int index = -1;
        try {
            index = std::stoi(name.substr(prefix.size()));
        } catch (const std::exception&) {
            throw Error(what + ": unexpected RNG state '" + name + "'");
        }
        if (!torch::cuda::is_available() || index < 0 || index >= static_cast<int>(torch::cuda::device_count())) {
            *available = false;
            return at::Generator();
        }
        return at::globalContext().defaultGenerator(
            c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index)));
    }
    throw Error(what + ": unexpected RNG state '" + name + "'");
}

} // namespace

NamedTensors captureTorchRngState(bool includeCuda) {
    NamedTensors out;
    {
        at::Generator gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        out.emplace_back("torch_cpu", gen.get_state().clone());
    }
    if (includeCuda && torch::cuda::is_available()) {
        const auto n = static_cast<int>(torch::cuda::device_count());
        for (int i = 0; i < n; ++i) {
            at::Generator gen = at::globalContext().defaultGenerator(
                c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(i)));
            std::lock_guard<std::mutex> lock(gen.mutex());
            out.emplace_back("torch_cuda_" + std::to_string(i), gen.get_state().clone());
        }
    }
    return out;
}

void restoreTorchRngState(const NamedTensors& state, const std::string& what) {
    bool sawCpu = false;
    for (const auto& [name, t] : state) {
        if (t.scalar_type() != torch::kUInt8 || t.dim() != 1)
            throw Error(what + ": RNG state '" + name + "' must be a 1-D uint8 tensor");
        bool available = false;
        at::Generator gen = generatorFor(name, what, &available);
        if (!available)
            continue;
        sawCpu = sawCpu || name == "torch_cpu";
        try {
            std::lock_guard<std::mutex> lock(gen.mutex());
            gen.set_state(t.contiguous().cpu());
        } catch (const c10::Error& e) {
            throw Error(what + ": RNG state '" + name + "' is not valid for this LibTorch (" +
                        e.what_without_backtrace() + ")");
        }
    }
    if (!sawCpu)
        throw Error(what + ": RNG state 'torch_cpu' is missing");
}

std::string mt19937State(const std::mt19937_64& rng) {
    std::ostringstream out;
    out.imbue(std::locale::classic());
    out << rng;
    return out.str();
}

void restoreMt19937State(std::mt19937_64& rng, const std::string& state, const std::string& what) {
    std::istringstream in(state);
    in.imbue(std::locale::classic());
    std::mt19937_64 restored;
    in >> restored;
    if (!in || state.empty())
        throw Error(what + ": the data-order RNG state is malformed (expected the text form of a std::mt19937_64)");
    in >> std::ws;
    if (!in.eof())
        throw Error(what + ": the data-order RNG state has trailing data");
    rng = restored;
}

} // namespace ps::train
