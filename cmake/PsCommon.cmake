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
if(PS_SANITIZE)
  string(REPLACE ";" "," _ps_san "${PS_SANITIZE}")
  target_compile_options(ps_common INTERFACE -fsanitize=${_ps_san} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
  target_link_options(ps_common INTERFACE -fsanitize=${_ps_san})
endif()

