# SPDX-License-Identifier: GPL-3.0-or-later
# The LV2 host (src/units/lv2) with real plugins from Debian: MDA Piano, Dragonfly Room Reverb,
# x42 dpl limiter, x42 MIDI filter, ZynAddSubFX; latency compensation of renders and sessions.
gb_add_test(test_lv2 SOURCES test_lv2.c LIBS gbac_host PkgConfig::SNDFILE)
set_tests_properties(test_lv2 PROPERTIES TIMEOUT 300
  ENVIRONMENT "GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR};LV2_PATH=${CMAKE_CURRENT_SOURCE_DIR}/data/lv2:/usr/lib/lv2")
# The commands: an LV2 plugin listed with its format and kind; an unknown URI fails naming it.
add_test(NAME lv2_plugins_list COMMAND gbac plugins list)
set_tests_properties(lv2_plugins_list PROPERTIES
  PASS_REGULAR_EXPRESSION "lv2 +effect +lv2:urn:dragonfly:room +\\(Dragonfly Room Reverb\\)")
add_test(NAME lv2_plugins_info_unknown COMMAND gbac plugins info urn:gbac:no-such-plugin)
set_tests_properties(lv2_plugins_info_unknown PROPERTIES WILL_FAIL TRUE)
