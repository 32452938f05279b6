#pragma once
// Strings cross the core/ui boundary as UTF-8 std::string (core's paths are UTF-8 on every
// platform), so conversion is always fromStdString / toStdString.
#include <QString>

#include <string>

namespace ps::ui {

inline QString toQ(const std::string& s) {
    return QString::fromStdString(s);
}
inline std::string toStd(const QString& s) {
    return s.toStdString();
}

} // namespace ps::ui
