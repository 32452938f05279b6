#include "train/optimizer.h"

#include "ps/error.h"
#include "ps/run_config.h"

#include <cmath>
#include <set>

namespace ps::train {
namespace {

std::string shapeText(const torch::Tensor& t) {
    std::string s = "[";
    for (std::int64_t i = 0; i < t.dim(); ++i)
        s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + "]";
}

std::string formatHyper(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// Splits "<param>.<suffix>" for the known suffixes.
bool splitStateName(const std::string& name, const std::vector<std::string>& suffixes, std::string* param,
                    std::string* suffix) {
    for (const auto& s : suffixes) {
        const std::string tail = "." + s;
        if (name.size() > tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0) {
            *param = name.substr(0, name.size() - tail.size());
            *suffix = s;
            return true;
        }
    }
    return false;
}

void checkLike(const torch::Tensor& state, const torch::Tensor& param, const std::string& what,
               const std::string& name) {
    if (state.sizes() != param.sizes())
        throw Error(what + ": tensor '" + name + "' has shape " + shapeText(state) + ", the parameter has " +
                    shapeText(param));
    if (state.scalar_type() != param.scalar_type())
        throw Error(what + ": tensor '" + name + "' has dtype " + std::string(c10::toString(state.scalar_type())) +
                    ", the parameter has " + c10::toString(param.scalar_type()));
}

void checkKind(const std::map<std::string, std::string>& metadata, const char* kind, const std::string& what) {
    auto it = metadata.find("optimizer");
    if (it == metadata.end())
        throw Error(what + ": metadata 'optimizer' is missing (expected " + kind + ")");
    if (it->second != kind)
        throw Error(what + ": the checkpoint was written by the " + it->second + " optimizer, this run uses " + kind);
}

} // namespace

Optimizer::Optimizer(std::vector<ParamGroup> groups) : groups_(std::move(groups)) {
    std::set<std::string> seen;
    for (const auto& g : groups_)
        for (const auto& [name, p] : g.params) {
            if (!seen.insert(name).second)
                throw Error("optimizer: parameter '" + name + "' is in more than one group");
            if (!p.defined())
                throw Error("optimizer: parameter '" + name + "' is undefined");
        }
}

void Optimizer::zeroGrad() {
    for (auto& g : groups_)
        for (auto& [name, p] : g.params)
            if (p.grad().defined())
                p.mutable_grad().reset();
}

std::map<std::string, std::string> Optimizer::stateMetadata() const {
    auto meta = hyperParameters();
    meta["optimizer"] = kind();
    return meta;
}

std::vector<torch::Tensor> Optimizer::parameters() const {
    std::vector<torch::Tensor> out;
    for (const auto& g : groups_)
        for (const auto& [name, p] : g.params)
            out.push_back(p);
    return out;
}

const torch::Tensor* Optimizer::findParam(const std::string& name) const {
    for (const auto& g : groups_)
        for (const auto& [n, p] : g.params)
            if (n == name)
                return &p;
    return nullptr;
}

// --- AdamW

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options)
    : Optimizer(std::move(groups)), options_(options) {}

void AdamW::step(double lr) {
    torch::NoGradGuard noGrad;
    const double beta1 = options_.beta1, beta2 = options_.beta2, eps = options_.eps;
    for (auto& group : groups_) {
        for (auto& [name, p] : group.params) {
            const torch::Tensor& grad = p.grad();
            if (!grad.defined())
                continue;
            if (grad.is_sparse())
                throw Error("AdamW: parameter '" + name + "' has a sparse gradient, which is not supported");
            ParamState& st = state_[name];
            if (!st.expAvg.defined()) {
                st.expAvg = torch::zeros_like(p, torch::MemoryFormat::Preserve);
                st.expAvgSq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
            }
            st.step += 1;
            p.mul_(1.0 - lr * group.weightDecay);
            st.expAvg.lerp_(grad, 1.0 - beta1);
            st.expAvgSq.mul_(beta2).addcmul_(grad, grad, 1.0 - beta2);
            const double t = static_cast<double>(st.step);
            const double biasCorrection1 = 1.0 - std::pow(beta1, t);
            const double biasCorrection2 = 1.0 - std::pow(beta2, t);
            const double stepSize = lr / biasCorrection1;
            const double biasCorrection2Sqrt = std::sqrt(biasCorrection2);
            const torch::Tensor denom = (st.expAvgSq.sqrt() / biasCorrection2Sqrt).add_(eps);
            p.addcdiv_(st.expAvg, denom, -stepSize);
        }
    }
}

const AdamW::ParamState* AdamW::state(const std::string& name) const {
    auto it = state_.find(name);
    return it == state_.end() ? nullptr : &it->second;
}

std::map<std::string, std::string> AdamW::hyperParameters() const {
    return {{"beta1", formatHyper(options_.beta1)},
            {"beta2", formatHyper(options_.beta2)},
            {"eps", formatHyper(options_.eps)}};
}

NamedTensors AdamW::stateTensors() const {
    NamedTensors out;
    for (const auto& [name, st] : state_) {
        if (!st.expAvg.defined())
            continue;
        out.emplace_back(name + ".exp_avg", st.expAvg);
        out.emplace_back(name + ".exp_avg_sq", st.expAvgSq);
        out.emplace_back(name + ".step", torch::tensor({st.step}, torch::kInt64));
    }
    return out;
}

void AdamW::loadStateTensors(const NamedTensors& state, const std::map<std::string, std::string>& metadata,
                             const std::string& what) {
    checkKind(metadata, "adamw", what);
    std::map<std::string, ParamState> loaded;
    std::map<std::string, int> parts;
    for (const auto& [tensorName, t] : state) {
        std::string param, suffix;
        if (!splitStateName(tensorName, {"exp_avg_sq", "exp_avg", "step"}, &param, &suffix))
            throw Error(what + ": unexpected tensor '" + tensorName + "' in AdamW state");
        const torch::Tensor* p = findParam(param);
        if (!p)
            throw Error(what + ": AdamW state for '" + param + "', which is not a trainable parameter of this run");
        ParamState& st = loaded[param];
        if (suffix == "step") {
            if (t.scalar_type() != torch::kInt64 || t.numel() != 1)
                throw Error(what + ": tensor '" + tensorName + "' must be one int64");
            st.step = t.item<std::int64_t>();
            if (st.step < 1)
                throw Error(what + ": tensor '" + tensorName + "' must be >= 1, got " + std::to_string(st.step));
        } else {
            checkLike(t, *p, what, tensorName);
            (suffix == "exp_avg" ? st.expAvg : st.expAvgSq) = t.to(p->device()).clone();
        }
        ++parts[param];
    }
    for (const auto& [param, n] : parts)
        if (n != 3)
            throw Error(what + ": AdamW state for '" + param +
                        "' is incomplete (expected exp_avg, exp_avg_sq and step)");
    state_ = std::move(loaded);
}

// --- SGD

Sgd::Sgd(std::vector<ParamGroup> groups, const SgdOptions& options) : Optimizer(std::move(groups)), options_(options) {}

void Sgd::step(double lr) {
    torch::NoGradGuard noGrad;
    for (auto& group : groups_) {
        for (auto& [name, p] : group.params) {
            const torch::Tensor& grad = p.grad();
            if (!grad.defined())
                continue;
            torch::Tensor d = group.weightDecay != 0 ? grad.add(p, group.weightDecay) : grad;
            if (options_.momentum != 0) {
                torch::Tensor& buf = momentum_[name];
                if (!buf.defined())
                    buf = d.clone().detach();
                else
                    buf.mul_(options_.momentum).add_(d);
                d = buf;
            }
            p.add_(d, -lr);
        }
    }
}

std::map<std::string, std::string> Sgd::hyperParameters() const {
    return {{"momentum", formatHyper(options_.momentum)}};
}

NamedTensors Sgd::stateTensors() const {
    NamedTensors out;
    for (const auto& [name, buf] : momentum_)
        out.emplace_back(name + ".momentum_buffer", buf);
    return out;
}

void Sgd::loadStateTensors(const NamedTensors& state, const std::map<std::string, std::string>& metadata,
                           const std::string& what) {
    checkKind(metadata, "sgd", what);
    std::map<std::string, torch::Tensor> loaded;
    for (const auto& [tensorName, t] : state) {
        std::string param, suffix;
        if (!splitStateName(tensorName, {"momentum_buffer"}, &param, &suffix))
            throw Error(what + ": unexpected tensor '" + tensorName + "' in SGD state");
        const torch::Tensor* p = findParam(param);
        if (!p)
            throw Error(what + ": SGD state for '" + param + "', which is not a trainable parameter of this run");
        checkLike(t, *p, what, tensorName);
        loaded[param] = t.to(p->device()).clone();
    }
    momentum_ = std::move(loaded);
}

std::unique_ptr<Optimizer> makeOptimizer(const RunConfig& config, std::vector<ParamGroup> groups) {
    if (config.optimizer == "adamw")
        return std::make_unique<AdamW>(std::move(groups),
                                       AdamWOptions{config.adam_beta1, config.adam_beta2, config.adam_epsilon});
    if (config.optimizer == "sgd")
        return std::make_unique<Sgd>(std::move(groups), SgdOptions{config.sgd_momentum});
    throw Error("optimizer must be adamw or sgd, got '" + config.optimizer + "'");
}

} // namespace ps::train
