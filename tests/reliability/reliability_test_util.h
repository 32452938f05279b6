#pragma once
// Helpers shared by the reliability suites.
#include <exception>
#include <functional>
#include <string>

namespace ps::test {

// The message of the exception `f` throws; empty when it returns normally.
inline std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

} // namespace ps::test
