# SPDX-License-Identifier: GPL-3.0-or-later
# The live OSC server (src/control/gb_osc_server.c): real UDP on loopback, a real engine and ring,
# liblo clients; and `gbac --dump-osc-schema`. The fuzz target is in fuzz/CMakeLists.txt.
gb_add_test(test_osc_server SOURCES test_osc_server.c LIBS gbac_host)
set_tests_properties(test_osc_server PROPERTIES TIMEOUT 120)
add_test(NAME osc_dump_schema_cli
         COMMAND gbac --dump-osc-schema --preset ${PROJECT_SOURCE_DIR}/presets/default.json)
set_tests_properties(osc_dump_schema_cli PROPERTIES
  PASS_REGULAR_EXPRESSION "\"path\": \"/gbac/param/master/gain_db\"")
add_test(NAME osc_dump_schema_cli_bad_preset
         COMMAND gbac --dump-osc-schema --preset ${PROJECT_SOURCE_DIR}/no/such/preset.json)
set_tests_properties(osc_dump_schema_cli_bad_preset PROPERTIES WILL_FAIL TRUE)
# The path table without liblo (typed arguments in, commands and replies out), scores
# through it, and docs/osc.md against it.
gb_add_test(test_osc_handlers SOURCES test_osc_handlers.c LIBS gbac_host)
gb_add_test(test_osc_doc SOURCES test_osc_doc.c LIBS gbac_host)
