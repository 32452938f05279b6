#pragma once
// Includes <qcustomplot.h>, which is written with Qt's lower-case keywords (signals, slots, emit,
// foreach) that this project switches off (QT_NO_KEYWORDS, see cmake/PsCommon.cmake): they are
// mapped to the Q_ macros for the header only. Include this instead of <qcustomplot.h>.
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
