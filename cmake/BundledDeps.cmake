# PS_DEPS_PREFIX: a folder with include/ and lib/ holding the non-torch dependencies as static
# libraries (yaml-cpp, pcre2-8, sqlite3, ICU) plus the nlohmann headers. Used to build core and the
# CLI on machines that have a compiler and LibTorch but no Debian -dev packages and no network
# (the GPU benchmark machine: scripts/gpu/make_deps_bundle.sh makes the folder from this machine's
# packages). Normal builds leave it empty and use find_package / pkg-config.
set(PS_DEPS_PREFIX "" CACHE PATH "Folder with bundled static dependencies (include/, lib/); empty = system packages")

function(_ps_bundled_static target lib)
  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${PS_DEPS_PREFIX}/lib/${lib}"
                                             INTERFACE_INCLUDE_DIRECTORIES "${PS_DEPS_PREFIX}/include")
endfunction()

if(PS_DEPS_PREFIX)
  message(STATUS "Using bundled dependencies from ${PS_DEPS_PREFIX}")
  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED GLOBAL)
  set_target_properties(nlohmann_json::nlohmann_json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${PS_DEPS_PREFIX}/include")
  _ps_bundled_static(yaml-cpp::yaml-cpp libyaml-cpp.a)
  _ps_bundled_static(SQLite::SQLite3 libsqlite3.a)
  set_property(TARGET SQLite::SQLite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES ${CMAKE_DL_LIBS} Threads::Threads m)
  _ps_bundled_static(PkgConfig::PCRE2 libpcre2-8.a)
  _ps_bundled_static(ps_bundled_icudata libicudata.a)
  _ps_bundled_static(PkgConfig::PS_ICU libicuuc.a)
  set_property(TARGET PkgConfig::PS_ICU APPEND PROPERTY INTERFACE_LINK_LIBRARIES ps_bundled_icudata ${CMAKE_DL_LIBS})
else()
  find_package(nlohmann_json 3 REQUIRED)
  find_package(yaml-cpp REQUIRED)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
  pkg_check_modules(PS_ICU REQUIRED IMPORTED_TARGET GLOBAL icu-uc)
  find_package(SQLite3 REQUIRED)
endif()
