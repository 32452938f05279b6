// Seeded shuffling and the train/validation split. Same seed, same order, on every platform
// and standard library: only std::mt19937_64's raw output is used (its sequence is fixed by
// the standard), never std::shuffle or std::uniform_int_distribution.
#include "ps/dataset.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace ps {
namespace {

// Unbiased integer in [0, bound): rejects the raw values below 2^64 mod bound.
std::uint64_t below(std::mt19937_64& rng, std::uint64_t bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        const std::uint64_t r = rng();
        if (r >= threshold)
            return r % bound;
    }
}

std::string numberText(double v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0')
        s.pop_back();
    if (!s.empty() && s.back() == '.')
        s.pop_back();
    return s;
}

} // namespace

std::vector<std::size_t> shuffledOrder(std::vector<std::size_t> v, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (std::size_t i = v.size(); i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(below(rng, i));
        std::swap(v[i - 1], v[j]);
    }
    return v;
}

DataSplit splitTrainValidation(std::size_t n, double valSize, std::uint64_t seed) {
    if (!std::isfinite(valSize) || valSize < 0)
        throw Error("val_size must be 0, a fraction below 1 or a whole number of examples, got " + numberText(valSize));
    std::size_t count = 0;
    if (valSize > 0 && valSize < 1) {
        count = std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(valSize * static_cast<double>(n))));
    } else if (valSize >= 1) {
        if (valSize != std::floor(valSize))
            throw Error("val_size " + numberText(valSize) +
                        " is neither a fraction below 1 nor a whole number of examples");
        count = static_cast<std::size_t>(valSize);
    }
    if (count > 0 && count >= n)
        throw Error("val_size " + numberText(valSize) + " leaves no training examples (the dataset has " +
                    std::to_string(n) + ")");
    std::vector<std::size_t> all(n);
    std::iota(all.begin(), all.end(), std::size_t{0});
    DataSplit split;
    if (count == 0) {
        split.train = std::move(all);
        return split;
    }
    const std::vector<std::size_t> order = shuffledOrder(std::move(all), seed);
    split.validation.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
    split.train.assign(order.begin() + static_cast<std::ptrdiff_t>(count), order.end());
    std::sort(split.validation.begin(), split.validation.end());
    std::sort(split.train.begin(), split.train.end());
    return split;
}

} // namespace ps
