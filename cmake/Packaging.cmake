# Installation and packages (CPack): DEB + TGZ on Linux, NSIS + ZIP on Windows.
# installer/README.md says how each package is built and what has been verified.
#
# One install layout everywhere, so that the installed programs find their resources relative to
# their own location (ps::findResourcesDir: <exe dir>/../share/peft-studio), wherever the package
# puts them (/usr for the DEB, any folder for the TGZ, C:\Program Files\PEFT Studio for NSIS):
#   bin/peft-studio, bin/peft-studio-cli        install() in app/cli and app/gui
#   share/peft-studio/demo/                     demo data and tokenizer (the demo model is created
#                                               from them on first use, in the user's data folder)
# plus the desktop integration of each platform (PackagingLinux.cmake, PackagingWindows.cmake).
# Must be included after the targets exist (last in the top-level CMakeLists.txt).

set(PS_PACKAGE_CONTACT "PEFT Studio contributors <peftstudio@users.noreply.github.com>"
    CACHE STRING "Package maintainer (Debian Maintainer field, NSIS contact)")
set(PS_PACKAGE_HOMEPAGE "https://github.com/peftstudio/peft-studio" CACHE STRING "Project home page")
set(PS_DATA_DESTINATION ${CMAKE_INSTALL_DATADIR}/peft-studio)

# Plain 0644 / 0755 whatever the source files' modes are (tokenizer.json is read-only in the tree):
# Debian policy wants exactly these.
set(PS_FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                                                GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# --- demo resources ---------------------------------------------------------------------------
# Only what the programs read: instructions.jsonl (the demo's data) and corpus.txt (the demo
# model's brief pre-training, ps::ensureDemoModel). generate.py (how instructions.jsonl was made)
# and the tokenizer's provenance README stay in the source tree; the provenance is in the
# package's copyright file.
install(FILES resources/demo/instructions.jsonl resources/demo/corpus.txt
        DESTINATION ${PS_DATA_DESTINATION}/demo PERMISSIONS ${PS_FILE_PERMISSIONS})
install(FILES resources/demo/tokenizer/tokenizer.json resources/demo/tokenizer/tokenizer_config.json
        DESTINATION ${PS_DATA_DESTINATION}/demo/tokenizer PERMISSIONS ${PS_FILE_PERMISSIONS})

# --- app icons --------------------------------------------------------------------------------
# PNGs rendered at build time from ui/app_logo.cpp's painter code (Qt here has no SVG plugin to
# rasterise resources/icons/peft-studio.svg, and rendering keeps the PNGs in step with the code).
if(PS_BUILD_GUI)
  add_executable(render-app-icons installer/icon_renderer/render_app_icons.cpp ui/app_logo.cpp
                                  resources/peft_studio.qrc)
  set_target_properties(render-app-icons PROPERTIES AUTORCC ON)
  target_include_directories(render-app-icons PRIVATE ${PROJECT_SOURCE_DIR}/ui)
  target_link_libraries(render-app-icons PRIVATE ps_common Qt6::Gui)

  set(PS_ICON_DIR ${PROJECT_BINARY_DIR}/icons)
  set(PS_ICON_SIZES 16 22 24 32 48 64 128 256 512)
  set(PS_ICON_PNGS "")
  foreach(size IN LISTS PS_ICON_SIZES)
    list(APPEND PS_ICON_PNGS ${PS_ICON_DIR}/hicolor/${size}x${size}/apps/peft-studio.png)
  endforeach()
  string(REPLACE ";" "," _ps_sizes "${PS_ICON_SIZES}")
  set(_ps_ico_args "")
  if(WIN32)
    set(PS_ICON_ICO ${PS_ICON_DIR}/peft-studio.ico)
    set(_ps_ico_args --ico ${PS_ICON_ICO})
  endif()
  add_custom_command(OUTPUT ${PS_ICON_PNGS} ${PS_ICON_ICO}
                     COMMAND render-app-icons --hicolor ${PS_ICON_DIR}/hicolor --sizes ${_ps_sizes} ${_ps_ico_args}
                     DEPENDS render-app-icons
                     COMMENT "Rendering the app icon (hicolor PNGs)" VERBATIM)
  add_custom_target(ps_app_icons ALL DEPENDS ${PS_ICON_PNGS})
endif()

# --- CPack: what every package shares -----------------------------------------------------------
set(CPACK_PACKAGE_NAME peft-studio)
set(CPACK_PACKAGE_VENDOR "PEFT Studio contributors")
set(CPACK_PACKAGE_CONTACT "${PS_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PS_PACKAGE_HOMEPAGE}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "desktop studio for parameter-efficient fine-tuning of LLMs")
# Lines under 80 columns: the DEB control file shows them as they are.
set(CPACK_PACKAGE_DESCRIPTION
    "PEFT Studio fine-tunes Hugging Face-format causal language models with
LoRA, DoRA, rsLoRA, IA3, LoHa, LoKr, prompt or prefix tuning. Pick a base
model folder or a model from the Hugging Face cache and a dataset, choose a
method and its rank, and watch live loss, evaluation loss, learning rate,
memory and throughput while a LibTorch core trains in the background.
Adapters are written in the Hugging Face PEFT format, which peft,
transformers, llama.cpp and Ollama load unchanged. The package holds the Qt
desktop app (peft-studio), the command-line tool (peft-studio-cli) and a
small built-in demo.")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "PEFT Studio")
set(CPACK_PACKAGE_CHECKSUM SHA256)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/devdeps/")
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS ${CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS})

if(WIN32)
  include(${CMAKE_CURRENT_LIST_DIR}/PackagingWindows.cmake)
elseif(UNIX AND NOT APPLE)
  include(${CMAKE_CURRENT_LIST_DIR}/PackagingLinux.cmake)
endif()

include(CPack)
