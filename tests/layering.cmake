# SPDX-License-Identifier: GPL-3.0-or-later
# The folders' libraries and their links (gb_register_folder), written out at generate time so
# tests/layering.sh can check every quoted include against the link graph: a folder may include
# from itself and from the folders its library links, directly or through others, never from
# one above it.
get_property(GB_LAYER_LIST GLOBAL PROPERTY GB_LAYERS)
set(GB_LAYER_TEXT "")
foreach(entry ${GB_LAYER_LIST})
  string(REPLACE "=" ";" parts "${entry}")
  list(GET parts 0 tgt)
  list(GET parts 1 dir)
  string(APPEND GB_LAYER_TEXT
    "${tgt} ${dir} $<JOIN:$<TARGET_PROPERTY:${tgt},INTERFACE_LINK_LIBRARIES>, >\n")
endforeach()
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/layers.txt CONTENT "${GB_LAYER_TEXT}")
add_test(NAME layering COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/layering.sh
         ${CMAKE_CURRENT_BINARY_DIR}/layers.txt)
