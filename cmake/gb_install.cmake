# SPDX-License-Identifier: GPL-3.0-or-later
# cmake/gb_install.cmake — `cmake --install build --prefix P`: the layout described in
# cmake/gb_layout.cmake. Checked by tests/install.cmake (install, move, run, build a plugin).
install(TARGETS gbac RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# What the program reads at run time, under share/gbac with its source-relative paths.
foreach(rel ${GB_SHARE_FILES})
  get_filename_component(sub ${rel} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/${rel} DESTINATION ${GB_INSTALL_DATADIR}/${sub})
endforeach()
foreach(rel ${GB_SHARE_FOLDERS})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${rel}/ DESTINATION ${GB_INSTALL_DATADIR}/${rel}
          OPTIONAL)
endforeach()

# The plugin ABI in a folder of its own, with a relocatable pkg-config file: prefix is found
# from the .pc file's own place (${pcfiledir}), so a moved install keeps working.
file(RELATIVE_PATH GB_PC_TO_PREFIX ${CMAKE_INSTALL_PREFIX}/${GB_INSTALL_PKGCONFIGDIR}
     ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" GB_PC_TO_PREFIX "${GB_PC_TO_PREFIX}")
file(STRINGS ${PROJECT_SOURCE_DIR}/src/include/gbac_plugin.h GB_ABI_LINE
     REGEX "^#define GBP_ABI_VERSION ")
string(REGEX REPLACE "^#define GBP_ABI_VERSION ([0-9]+).*" "\\1" GB_ABI_VERSION "${GB_ABI_LINE}")
configure_file(${PROJECT_SOURCE_DIR}/src/include/gbac-plugin.pc.in
               ${PROJECT_BINARY_DIR}/gbac-plugin.pc @ONLY)
install(FILES ${PROJECT_SOURCE_DIR}/src/include/gbac_plugin.h
        DESTINATION ${GB_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/gbac-plugin.pc DESTINATION ${GB_INSTALL_PKGCONFIGDIR})
# The folder gbac looks in by default, present (empty) so `cmake --install` of a plugin
# has a place to go.
install(DIRECTORY DESTINATION ${GB_INSTALL_PLUGINDIR})

# Documentation, and the example plugin as a starting point for plugin authors (it builds
# on its own against the installed header through pkg-config).
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/plugin/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/plugin)
