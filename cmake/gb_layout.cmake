# SPDX-License-Identifier: GPL-3.0-or-later
# cmake/gb_layout.cmake — where gbac's files go, and what it reads at run time.
#
# Installed (cmake --install build --prefix P), relocatable as a whole:
#   P/bin/gbac                       the program
#   P/share/gbac/                    what it reads at run time (GB_SHARE_* below)
#   P/lib/gbac/plugins/              the plugin folder gbac looks in by default
#   P/lib/lv2/gbac.lv2/              gbac's units as LV2 plugins (finds P/share/gbac)
#   P/include/gbac/gbac_plugin.h     the unit ABI, for plugin authors
#   P/lib/pkgconfig/gbac-plugin.pc   its pkg-config file (Cflags, variable plugindir)
#   P/share/doc/gbac/                README, LICENSE, docs/, examples/plugin
#   P/share/man/man1/                the man page(s) registered with gb_install_man()
#
# The program finds share/gbac and lib/gbac/plugins relative to its own path (/proc/self/exe),
# never through a path compiled in. A build tree mirrors the layout without installing:
# build/gbac reads build/share/gbac, made here of links to the source files, so the program
# and every test run from the build tree, from any working folder; build/lv2/gbac.lv2 is the
# LV2 bundle (LV2_PATH=build/lv2), which finds build/share/gbac the same way.
include(GNUInstallDirs)

set(GB_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/gbac)
set(GB_INSTALL_PLUGINDIR ${CMAKE_INSTALL_LIBDIR}/gbac/plugins)
set(GB_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/gbac)
# Not multiarch: LV2 hosts look in PREFIX/lib/lv2 (and LV2_PATH).
set(GB_INSTALL_LV2DIR lib/lv2)
set(GB_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The same folders relative to the installed binary's folder: compiled into gb_share.c
# (models/io), which finds them at run time.
file(RELATIVE_PATH GB_REL_DATADIR ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_PREFIX}/${GB_INSTALL_DATADIR})
file(RELATIVE_PATH GB_REL_PLUGINDIR ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_PREFIX}/${GB_INSTALL_PLUGINDIR})

# Everything gbac reads at run time, as paths relative to the source tree; they keep the
# same relative paths under share/gbac (gb_share_file("models/x.safetensors") etc.).
# Folders are shipped whole; one that does not exist yet is skipped (models/data/: the
# training corpora, once they are shipped). A new kind of run-time file goes here.
set(GB_SHARE_FOLDERS presets examples/demo models/data web)
# The shipped models with their companions (.enc, .disc) and their cards.
file(GLOB GB_SHARE_FILES CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}
     ${PROJECT_SOURCE_DIR}/models/*.safetensors ${PROJECT_SOURCE_DIR}/models/*.safetensors.*
     ${PROJECT_SOURCE_DIR}/models/*.md)
# Not training checkpoints (gbac train writes OUT.ckpt beside OUT) nor editor backups.
list(FILTER GB_SHARE_FILES EXCLUDE REGEX "(\\.ckpt|~)$")

# The build tree's share/gbac: a link per shipped folder (made even if the folder does not
# exist yet, so it appears when it does), the models folder as a whole: a model named over
# OSC (/gbac/timbre/model) must resolve, after links, inside share/gbac/models
# (gb_osc_confine), which a link per model file into the source tree never does. The build
# tree thus also shows the rest of models/ (sources, checkpoints); the install ships only
# GB_SHARE_FILES. Nothing but links is ever written or removed there.
set(GB_BUILD_SHARE ${PROJECT_BINARY_DIR}/share/gbac)
set(GB_BUILD_SHARE_LINKS presets examples/demo models web)
function(gb_share_link rel)
  get_filename_component(parent ${GB_BUILD_SHARE}/${rel} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${rel} ${GB_BUILD_SHARE}/${rel} SYMBOLIC)
endfunction()
# A build tree from before: share/gbac/models was a folder of links, one per shipped file.
set(gb_models ${GB_BUILD_SHARE}/models)
if(IS_DIRECTORY ${gb_models} AND NOT IS_SYMLINK ${gb_models})
  file(GLOB gb_old LIST_DIRECTORIES true ${gb_models}/*)
  foreach(link ${gb_old})
    if(NOT IS_SYMLINK ${link})
      message(FATAL_ERROR "${gb_models} holds ${link}, which is not a link: move it away (the "
                          "build tree's models folder is now a link to ${PROJECT_SOURCE_DIR}/models)")
    endif()
    file(REMOVE ${link})
  endforeach()
  file(REMOVE_RECURSE ${gb_models})
endif()
foreach(rel ${GB_BUILD_SHARE_LINKS})
  gb_share_link(${rel})
endforeach()

# gb_install_man(FILE...) — install man pages (section from the file's extension, e.g.
# gbac.1) and tell the install test (tests/install.cmake) to check them.
function(gb_install_man)
  foreach(page ${ARGN})
    get_filename_component(ext ${page} LAST_EXT)
    string(SUBSTRING ${ext} 1 1 section)
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
    get_filename_component(name ${page} NAME)
    set_property(GLOBAL APPEND PROPERTY GB_MAN_PAGES man${section}/${name})
  endforeach()
endfunction()
