#pragma once
// IEEE 754 half precision <-> float, without a torch dependency (the GGUF reader and writer are
// torch-free). Conversions to half round to nearest even, as torch and numpy do.
#include <cstdint>

namespace ps::gguf {

std::uint16_t floatToHalf(float value);
float halfToFloat(std::uint16_t bits);

} // namespace ps::gguf
