#pragma once
// Locale-independent text <-> value conversions for config keys (YAML, --set, the CLI command
// line). Qt applications call setlocale(LC_ALL, ""), after which strtod() expects a decimal
// comma in some locales; std::to_chars / std::from_chars never look at the locale.
#include <cstdint>
#include <string>

namespace ps::runs {

// Shortest text that reads back to exactly `v`, always with a '.' in the mantissa so that YAML 1.1
// readers (PyYAML) see a float too: 0.1 -> "0.1", 1e-4 -> "0.0001", 5e-5 -> "5.0e-05", 3 -> "3.0".
// Non-finite values use YAML's spelling: ".inf", "-.inf", ".nan".
std::string formatDouble(double v);

// Whole-string parses; false when `text` is not exactly one value of the type.
bool parseInt64(const std::string& text, std::int64_t* out);
bool parseDouble(const std::string& text, double* out); // also ".inf", "-.inf", ".nan", "+1.5"
bool parseBool(const std::string& text, bool* out);     // true/false, yes/no, on/off, 1/0 (any case)
// YAML's null spellings: "", "~", "null", "Null", "NULL".
bool isYamlNull(const std::string& text);

std::string trim(const std::string& text);

// Well-formed UTF-8: shortest forms, no surrogates, nothing above U+10FFFF.
bool isValidUtf8(const std::string& text);

} // namespace ps::runs
