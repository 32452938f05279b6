# One INTERFACE target carries the language standard, warnings and sanitizer flags for every
# target of the project (qBittorrent style).
add_library(ps_common INTERFACE)
target_compile_features(ps_common INTERFACE cxx_std_17)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(ps_common INTERFACE -Wall -Wextra -Wno-unused-parameter)
  if(PS_FATAL_WARNINGS)
    target_compile_options(ps_common INTERFACE -Werror)
  endif()
elseif(MSVC)
  target_compile_options(ps_common INTERFACE /W3 /utf-8 /permissive-)
  if(PS_FATAL_WARNINGS)
    target_compile_options(ps_common INTERFACE /WX)
  endif()
endif()
# Qt's `signals`/`slots`/`emit` macros collide with LibTorch headers; the whole project uses
# Q_SIGNALS / Q_SLOTS / Q_EMIT instead.
target_compile_definitions(ps_common INTERFACE QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII
                                               QT_NO_CONTEXTLESS_CONNECT)
# Sanitizers (gcc and clang): PS_SANITIZE=ON means ASan + UBSan. UBSan findings abort
# (-fno-sanitize-recover) so that a test or fuzz run fails on the first one instead of printing
# and going on. Runtime options and the LibTorch suppressions: tests/sanitizers/.
if(PS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "PS_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT PS_SANITIZE)
    set(PS_SANITIZE ON)
  endif()
endif()
if(PS_SANITIZE)
  if(PS_SANITIZE STREQUAL "ON" OR PS_SANITIZE STREQUAL "1" OR PS_SANITIZE STREQUAL "TRUE")
    set(_ps_san_list address undefined)
  else()
    set(_ps_san_list ${PS_SANITIZE})
  endif()
  string(REPLACE ";" "," _ps_san "${_ps_san_list}")
  target_compile_options(ps_common INTERFACE -fsanitize=${_ps_san} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
  target_link_options(ps_common INTERFACE -fsanitize=${_ps_san})
endif()
# PS_FUZZ: every target of the build gets libFuzzer's coverage instrumentation (fuzzer-no-link);
# only the fuzz programs link the libFuzzer driver (tests/fuzz/CMakeLists.txt), so the Qt Test
# suites of the same build folder run as ordinary sanitized programs.
if(PS_FUZZ)
  target_compile_options(ps_common INTERFACE -fsanitize=fuzzer-no-link)
endif()

