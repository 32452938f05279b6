# Windows: an NSIS installer (and a ZIP of the same tree). Included by cmake/Packaging.cmake.
# Never run in this project's CI (which is Linux): .github/workflows/windows.yml builds it, and
# installer/README.md says what has and has not been verified.
#
# Layout under the install folder (default C:\Program Files\PEFT Studio):
#   bin\peft-studio.exe, bin\peft-studio-cli.exe
#   bin\*.dll            LibTorch (c10, torch_cpu, ...), the vcpkg libraries, the Qt libraries
#   bin\platforms\, bin\styles\, bin\imageformats\ ...   Qt plugins, deployed by windeployqt
#   share\peft-studio\   demo data (Packaging.cmake), found as <exe dir>\..\share\peft-studio

# --- runtime DLLs next to the executables --------------------------------------------------------
# LibTorch: every DLL of the official zip's lib\ folder. Some are loaded at run time rather than
# linked (e.g. the CUDA kernels of a CUDA build), so a dependency scan alone would miss them.
file(GLOB PS_TORCH_DLLS "${TORCH_INSTALL_PREFIX}/lib/*.dll")
install(FILES ${PS_TORCH_DLLS} DESTINATION ${CMAKE_INSTALL_BINDIR})

# Everything else the executables link (yaml-cpp, PCRE2, ICU, SQLite, QCustomPlot ...): resolved
# at install time from the folders the build used. Windows' own DLLs stay out.
set(PS_DLL_DIRS "${TORCH_INSTALL_PREFIX}/lib")
foreach(prefix IN LISTS CMAKE_PREFIX_PATH)
  list(APPEND PS_DLL_DIRS "${prefix}/bin")
endforeach()
if(DEFINED VCPKG_INSTALLED_DIR AND DEFINED VCPKG_TARGET_TRIPLET)
  list(APPEND PS_DLL_DIRS "${VCPKG_INSTALLED_DIR}/${VCPKG_TARGET_TRIPLET}/bin")
endif()
set(_ps_exes "$<TARGET_FILE:peft-studio-cli>")
if(PS_BUILD_GUI)
  list(APPEND _ps_exes "$<TARGET_FILE:peft-studio>")
endif()
install(CODE "set(PS_DLL_DIRS \"${PS_DLL_DIRS}\")\nset(PS_EXES \"${_ps_exes}\")")
install(CODE [[
  file(GET_RUNTIME_DEPENDENCIES
       EXECUTABLES ${PS_EXES}
       RESOLVED_DEPENDENCIES_VAR ps_deps
       UNRESOLVED_DEPENDENCIES_VAR ps_unresolved
       DIRECTORIES ${PS_DLL_DIRS}
       PRE_EXCLUDE_REGEXES "^api-ms-" "^ext-ms-"
       POST_EXCLUDE_REGEXES "[Ww][Ii][Nn][Dd][Oo][Ww][Ss][/\\][Ss]ystem32")
  foreach(dll IN LISTS ps_unresolved)
    message(STATUS "not bundled (expected from Windows): ${dll}")
  endforeach()
  file(INSTALL ${ps_deps} DESTINATION "${CMAKE_INSTALL_PREFIX}/bin")
]])

# --- Qt: windeployqt copies the Qt DLLs, plugins (platforms\qwindows.dll, styles, image formats)
# and the MSVC runtime next to peft-studio.exe, at install time (and so when cpack stages).
if(PS_BUILD_GUI)
  find_program(PS_WINDEPLOYQT windeployqt HINTS "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_BINS}" REQUIRED)
  install(CODE "
    execute_process(COMMAND \"${PS_WINDEPLOYQT}\" --release --no-translations --no-system-d3d-compiler
                            --no-opengl-sw --compiler-runtime
                            --dir \"\${CMAKE_INSTALL_PREFIX}/bin\"
                            \"\${CMAKE_INSTALL_PREFIX}/bin/peft-studio.exe\"
                    COMMAND_ERROR_IS_FATAL ANY)")
endif()

# --- NSIS ------------------------------------------------------------------------------------------
set(CPACK_GENERATOR NSIS ZIP)
set(CPACK_PACKAGE_FILE_NAME "peft-studio-${PROJECT_VERSION}-win64")
set(CPACK_NSIS_PACKAGE_NAME "PEFT Studio ${PROJECT_VERSION}")
set(CPACK_NSIS_DISPLAY_NAME "PEFT Studio")
set(CPACK_PACKAGE_INSTALL_REGISTRY_KEY "PEFT Studio")
set(CPACK_NSIS_CONTACT "${PS_PACKAGE_CONTACT}")
set(CPACK_NSIS_URL_INFO_ABOUT "${PS_PACKAGE_HOMEPAGE}")
set(CPACK_NSIS_HELP_LINK "${PS_PACKAGE_HOMEPAGE}")
set(CPACK_NSIS_MANIFEST_DPI_AWARE ON)
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON) # an upgrade removes the old version first
set(CPACK_NSIS_MODIFY_PATH ON)                      # optional: bin\ on PATH for peft-studio-cli
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\\\peft-studio.exe")
if(PS_ICON_ICO)
  file(TO_NATIVE_PATH "${PS_ICON_ICO}" _ps_ico)
  string(REPLACE "\\" "\\\\" _ps_ico "${_ps_ico}")
  set(CPACK_NSIS_MUI_ICON "${_ps_ico}")
  set(CPACK_NSIS_MUI_UNIICON "${_ps_ico}")
endif()
# Start-menu shortcut (and the uninstaller's, which CPack adds) and a desktop shortcut.
set(CPACK_PACKAGE_EXECUTABLES "peft-studio" "PEFT Studio")
set(CPACK_CREATE_DESKTOP_LINKS "peft-studio")
set(CPACK_NSIS_EXECUTABLES_DIRECTORY "bin")
# Run configs (*.peft.yaml): "Open with" entry and Explorer verb; see installer/windows/*.nsh.
file(TO_CMAKE_PATH "${PROJECT_SOURCE_DIR}/installer/windows" _ps_nsh_dir)
set(CPACK_NSIS_EXTRA_INSTALL_COMMANDS "!include \"${_ps_nsh_dir}/register_run_config.nsh\"")
set(CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS "!include \"${_ps_nsh_dir}/unregister_run_config.nsh\"")
