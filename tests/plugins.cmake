# SPDX-License-Identifier: GPL-3.0-or-later
# The unit registry, plugin loading, presets and `gbac preset`.

# The example plugin (examples/plugin) is normally added by the top-level CMakeLists.txt;
# build it here if it was not, so these tests never run without it.
if(NOT TARGET example_tremolo)
  add_subdirectory(${PROJECT_SOURCE_DIR}/examples/plugin ${PROJECT_BINARY_DIR}/examples/plugin)
endif()
set(GB_EXAMPLE_PLUGIN_DIR $<TARGET_FILE_DIR:example_tremolo>)

# Test-only plugins, each broken in one way, in a folder of their own.
set(GB_BAD_PLUGIN_DIR ${CMAKE_CURRENT_BINARY_DIR}/bad_plugins)
set(GB_BAD_PLUGINS)
foreach(name bad_abi no_entry no_process bad_default dup_id old_abi1)
  add_library(bad_plugin_${name} MODULE bad_plugins/${name}.c)
  target_link_libraries(bad_plugin_${name} PRIVATE gbac_abi)
  set_target_properties(bad_plugin_${name} PROPERTIES
    PREFIX "" OUTPUT_NAME ${name} LIBRARY_OUTPUT_DIRECTORY ${GB_BAD_PLUGIN_DIR})
  list(APPEND GB_BAD_PLUGINS bad_plugin_${name})
endforeach()

set(GB_PLUGIN_DEFS
  GB_BAD_PLUGIN_DIR="${GB_BAD_PLUGIN_DIR}"
  GB_EXAMPLE_PLUGIN="$<TARGET_FILE:example_tremolo>"
  GB_EXAMPLE_PLUGIN_DIR="${GB_EXAMPLE_PLUGIN_DIR}")

gb_add_test(test_registry SOURCES test_registry.c LIBS gbac_host)
target_compile_definitions(test_registry PRIVATE ${GB_PLUGIN_DEFS})
add_dependencies(test_registry example_tremolo ${GB_BAD_PLUGINS})

gb_add_test(test_preset SOURCES test_preset.c LIBS gbac_host PkgConfig::JANSSON)
target_compile_definitions(test_preset PRIVATE ${GB_PLUGIN_DEFS})
add_dependencies(test_preset example_tremolo)

# `gbac preset check` on every shipped preset (exit 0), broken copies (exit 1), and the
# example plugin found through --plugin-dir and GBAC_PLUGIN_PATH.
add_test(NAME preset_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/preset_cli.sh $<TARGET_FILE:gbac>
                 ${PROJECT_SOURCE_DIR} ${GB_EXAMPLE_PLUGIN_DIR} ${GB_BAD_PLUGIN_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/preset_cli)
set_tests_properties(preset_cli PROPERTIES ENVIRONMENT "GBAC_PLUGIN_PATH=")

# docs/units.md's parameter tables against `gbac preset list --json` (every built-in unit's
# every parameter: id, name, unit, range, stepped, default, smoothing or read-only).
add_test(NAME units_doc
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/units_doc.sh $<TARGET_FILE:gbac>
                 ${PROJECT_SOURCE_DIR})
