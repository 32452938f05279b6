#include "runs/value_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace ps::runs {

std::string formatDouble(double v) {
    if (std::isnan(v))
        return ".nan";
    if (std::isinf(v))
        return v > 0 ? ".inf" : "-.inf";
    // Shortest round-trip digits, laid out like Python's repr(): positional for exponents in
    // [-4, 16), scientific otherwise.
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    const std::string sci(buf, res.ptr);
    const auto e = sci.find('e');
    std::string mantissa = sci.substr(0, e);
    const int exponent = std::stoi(sci.substr(e + 1));
    std::string sign;
    if (mantissa[0] == '-') {
        sign = "-";
        mantissa.erase(0, 1);
    }
    if (exponent < -4 || exponent >= 16) {
        if (mantissa.find('.') == std::string::npos)
            mantissa += ".0";
        return sign + mantissa + sci.substr(e);
    }
    std::string digits = mantissa;
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    if (exponent < 0)
        return sign + "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    const auto intDigits = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= intDigits)
        return sign + digits + std::string(intDigits - digits.size(), '0') + ".0";
    return sign + digits.substr(0, intDigits) + "." + digits.substr(intDigits);
}

bool parseInt64(const std::string& text, std::int64_t* out) {
    const std::string t = trim(text);
    const char* begin = t.data();
    const char* end = t.data() + t.size();
    if (begin != end && *begin == '+')
        ++begin;
    if (begin == end)
        return false;
    const auto res = std::from_chars(begin, end, *out);
    return res.ec == std::errc() && res.ptr == end;
}

bool parseDouble(const std::string& text, double* out) {
    std::string t = trim(text);
    std::string lower = t;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == ".inf" || lower == "+.inf") {
        *out = std::numeric_limits<double>::infinity();
        return true;
    }
    if (lower == "-.inf") {
        *out = -std::numeric_limits<double>::infinity();
        return true;
    }
    if (lower == ".nan") {
        *out = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    const char* begin = t.data();
    const char* end = t.data() + t.size();
    if (begin != end && *begin == '+')
        ++begin;
    if (begin == end)
        return false;
    // from_chars would accept "inf"/"nan" and hex with a flag; YAML numbers are decimal only.
    for (const char* p = begin; p != end; ++p) {
        const char c = *p;
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'))
            return false;
    }
    const auto res = std::from_chars(begin, end, *out);
    return res.ec == std::errc() && res.ptr == end;
}

bool parseBool(const std::string& text, bool* out) {
    std::string t = trim(text);
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
    if (t == "true" || t == "yes" || t == "on" || t == "1") {
        *out = true;
        return true;
    }
    if (t == "false" || t == "no" || t == "off" || t == "0") {
        *out = false;
        return true;
    }
    return false;
}

bool isYamlNull(const std::string& text) {
    return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

bool isValidUtf8(const std::string& text) {
    static const std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000}; // smallest code point per extra byte count
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (lead < 0x80) {
            ++i;
            continue;
        }
        if ((lead & 0xE0) == 0xC0)
            extra = 1, cp = lead & 0x1F;
        else if ((lead & 0xF0) == 0xE0)
            extra = 2, cp = lead & 0x0F;
        else if ((lead & 0xF8) == 0xF0)
            extra = 3, cp = lead & 0x07;
        else
            return false;
        if (text.size() - i <= extra)
            return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto c = static_cast<unsigned char>(text[i + k]);
            if ((c & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp < kMinimum[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

} // namespace ps::runs
