# SPDX-License-Identifier: GPL-3.0-or-later
# The LV2 host (src/units/lv2) with real plugins from Debian: MDA Piano, Dragonfly Room Reverb,
# x42 dpl limiter, x42 MIDI filter, ZynAddSubFX; latency compensation of renders and sessions.
# Also gbac's own bundle (build/lv2/gbac.lv2, src/lv2plugin) hosted by gbac, and a tiny test
# plugin built here (tests/lv2_nan) whose output turns NaN: gbac mutes and counts it.
if(NOT TARGET PkgConfig::LV2)
  pkg_check_modules(LV2 REQUIRED IMPORTED_TARGET lv2)
endif()
set(GB_TEST_LV2_DIR ${CMAKE_CURRENT_BINARY_DIR}/lv2)
add_library(lv2_nan_after MODULE lv2_nan/nan_after.c)
target_link_libraries(lv2_nan_after PRIVATE PkgConfig::LV2)
target_include_directories(lv2_nan_after PRIVATE ${PROJECT_SOURCE_DIR}/src/include)
set_target_properties(lv2_nan_after PROPERTIES PREFIX "" OUTPUT_NAME nan_after
  LIBRARY_OUTPUT_DIRECTORY ${GB_TEST_LV2_DIR}/gbac-test-nan.lv2)
configure_file(lv2_nan/manifest.ttl ${GB_TEST_LV2_DIR}/gbac-test-nan.lv2/manifest.ttl COPYONLY)

gb_add_test(test_lv2 SOURCES test_lv2.c LIBS gbac_host PkgConfig::SNDFILE)
add_dependencies(test_lv2 gbac_lv2plugin lv2_nan_after)
set_tests_properties(test_lv2 PROPERTIES TIMEOUT 300
  ENVIRONMENT "GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR};LV2_PATH=${CMAKE_CURRENT_SOURCE_DIR}/data/lv2:${PROJECT_BINARY_DIR}/lv2:${GB_TEST_LV2_DIR}:/usr/lib/lv2")
# The commands: an LV2 plugin listed with its format and kind; an unknown URI fails naming it.
add_test(NAME lv2_plugins_list COMMAND gbac plugins list)
set_tests_properties(lv2_plugins_list PROPERTIES
  PASS_REGULAR_EXPRESSION "lv2 +effect +lv2:urn:dragonfly:room +\\(Dragonfly Room Reverb\\)")
add_test(NAME lv2_plugins_info_unknown COMMAND gbac plugins info urn:gbac:no-such-plugin)
set_tests_properties(lv2_plugins_info_unknown PROPERTIES WILL_FAIL TRUE)
# gbac live counts the blocks units mute for NaN/Inf (nonfinite_blocks: /gbac/status, the
# status log line, --stats-json), with the NaN test plugin in the rack. About 6 s.
gb_add_test(test_live_nonfinite SOURCES test_live_nonfinite.c LIBS gbac_host)
add_dependencies(test_live_nonfinite lv2_nan_after)
set_tests_properties(test_live_nonfinite PROPERTIES TIMEOUT 120 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;LV2_PATH=${GB_TEST_LV2_DIR}")
