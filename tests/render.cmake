# SPDX-License-Identifier: GPL-3.0-or-later
# MIDI input (models/io/gb_midi.c, models/io/gb_midifile.c), OSC scores and handlers (src/control/gb_osc_*.c),
# offline rendering (src/render/gb_render.c) and the `gbac render` / `gbac demo` commands.
gb_add_test(test_midi SOURCES test_midi.c LIBS gbac_host)
gb_add_test(test_midifile SOURCES test_midifile.c LIBS gbac_host)
gb_add_test(test_osc_score SOURCES test_osc_score.c LIBS gbac_host)
# The API and the commands (gb_cmd_render, gb_cmd_demo called as main() does), with the
# shipped presets and examples/demo/ (waltz.mid, the demo piece).
gb_add_test(test_render SOURCES test_render.c LIBS gbac_host)
set_tests_properties(test_render PROPERTIES TIMEOUT 300)
# The installed binary answers --help for both commands.
add_test(NAME render_cli_help COMMAND gbac render --help)
set_tests_properties(render_cli_help PROPERTIES PASS_REGULAR_EXPRESSION "--osc-score")
add_test(NAME render_demo_cli_help COMMAND gbac demo --help)
set_tests_properties(render_demo_cli_help PROPERTIES PASS_REGULAR_EXPRESSION "calls")
# The demo piece as a session: performer and model notes, the answers' bars and key, the
# latent path, determinism (sha256 of two runs), `gbac plot`.
add_test(NAME demo_piece COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/demo_piece.sh)
set_tests_properties(demo_piece PROPERTIES TIMEOUT 120
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>")
