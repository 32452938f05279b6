#pragma once
// ps::Error — the one exception type core throws for anything the user can act on: a bad
// file, a bad setting, a missing tensor. The message names the file / line / tensor and says
// what was expected. Core never aborts the process for bad input.
#include <stdexcept>
#include <string>

namespace ps {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

} // namespace ps
