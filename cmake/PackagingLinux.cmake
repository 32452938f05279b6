# Linux desktop integration and the DEB / TGZ packages. Included by cmake/Packaging.cmake.
#   share/applications/io.github.peftstudio.PeftStudio.desktop
#   share/metainfo/io.github.peftstudio.PeftStudio.metainfo.xml      (AppStream)
#   share/icons/hicolor/scalable/apps/peft-studio.svg, <N>x<N>/apps/peft-studio.png
#   share/mime/packages/peft-studio.xml                              (*.peft.yaml run configs)
#   share/man/man1/peft-studio.1.gz, peft-studio-cli.1.gz
#   share/doc/peft-studio/copyright, changelog.gz                    (Debian policy)

set(PS_LINUX_RES ${PROJECT_SOURCE_DIR}/resources/linux)
set(PS_APP_ID io.github.peftstudio.PeftStudio)

# --- man pages and the Debian changelog, gzipped reproducibly (-n: no name or time stamp) ---------
find_program(PS_GZIP gzip REQUIRED)
set(PS_PKG_DIR ${PROJECT_BINARY_DIR}/package)
set(PS_CHANGELOG_DATE "")
string(TIMESTAMP PS_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC) # honours SOURCE_DATE_EPOCH
set(CPACK_DEBIAN_PACKAGE_VERSION ${PROJECT_VERSION})
configure_file(${PROJECT_SOURCE_DIR}/installer/linux/changelog.in ${PS_PKG_DIR}/changelog.in @ONLY)

set(PS_GZIPPED "")
foreach(pair "${PS_LINUX_RES}/peft-studio.1|man/peft-studio.1"
             "${PS_LINUX_RES}/peft-studio-cli.1|man/peft-studio-cli.1"
             "${PS_PKG_DIR}/changelog.in|doc/changelog")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 src)
  list(GET pair 1 dst)
  add_custom_command(OUTPUT ${PS_PKG_DIR}/${dst}.gz
                     COMMAND ${CMAKE_COMMAND} -E copy ${src} ${PS_PKG_DIR}/${dst}
                     COMMAND ${PS_GZIP} -9nf ${PS_PKG_DIR}/${dst}
                     DEPENDS ${src} VERBATIM)
  list(APPEND PS_GZIPPED ${PS_PKG_DIR}/${dst}.gz)
endforeach()
add_custom_target(ps_package_docs ALL DEPENDS ${PS_GZIPPED})

install(FILES ${PS_PKG_DIR}/man/peft-studio-cli.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        PERMISSIONS ${PS_FILE_PERMISSIONS})
install(FILES installer/linux/copyright ${PS_PKG_DIR}/doc/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/peft-studio PERMISSIONS ${PS_FILE_PERMISSIONS})

if(PS_BUILD_GUI)
  install(FILES ${PS_PKG_DIR}/man/peft-studio.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
          PERMISSIONS ${PS_FILE_PERMISSIONS})
  install(FILES ${PS_LINUX_RES}/${PS_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications
          PERMISSIONS ${PS_FILE_PERMISSIONS})
  install(FILES ${PS_LINUX_RES}/${PS_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo
          PERMISSIONS ${PS_FILE_PERMISSIONS})
  install(FILES ${PS_LINUX_RES}/peft-studio-mime.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages
          RENAME peft-studio.xml PERMISSIONS ${PS_FILE_PERMISSIONS})
  install(FILES resources/icons/peft-studio.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
          PERMISSIONS ${PS_FILE_PERMISSIONS})
  install(DIRECTORY ${PS_ICON_DIR}/hicolor DESTINATION ${CMAKE_INSTALL_DATADIR}/icons
          FILE_PERMISSIONS ${PS_FILE_PERMISSIONS})
endif()

# --- binaries: what Debian's own packaging (dh_strip, hardening=+bindnow) would do ---------------
# Full RELRO (-z now, with the linker's default -z relro): the GOT is read-only once loaded.
foreach(exe peft-studio-cli peft-studio)
  if(TARGET ${exe})
    target_link_options(${exe} PRIVATE -Wl,-z,now)
  endif()
endforeach()
# CPACK_STRIP_FILES runs a plain `strip`; the compiler's .comment and .note sections go too, as
# dh_strip removes them. Runs after the targets' own install rules (CMP0082 order).
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(exe peft-studio peft-studio-cli)
      set(f \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\${exe}\")
      if(EXISTS \"\${f}\")
        execute_process(COMMAND \"${CMAKE_STRIP}\" --remove-section=.comment --remove-section=.note \"\${f}\"
                        COMMAND_ERROR_IS_FATAL ANY)
      endif()
    endforeach()
  endif()")

# --- DEB ------------------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB TGZ)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # peft-studio_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_NAME peft-studio)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PS_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PS_PACKAGE_HOMEPAGE}")
# The long text; CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY above it as the synopsis.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# Library dependencies come from dpkg-shlibdeps on the binaries (LibTorch, Qt 6, QCustomPlot,
# yaml-cpp, PCRE2, ICU, SQLite ...). OpenBLAS is not among them: LibTorch links the generic
# libblas.so.3 and Debian's alternatives system picks the implementation, so the pthread OpenBLAS
# (~30x faster than the reference BLAS for float32 GEMM) is named explicitly.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

# TGZ: the same tree under peft-studio-<version>-Linux/ (bin/, share/); it runs from wherever it
# is unpacked, on a system that has the libraries the DEB depends on.
set(CPACK_PACKAGE_FILE_NAME "peft-studio-${PROJECT_VERSION}-Linux-${CMAKE_SYSTEM_PROCESSOR}")
