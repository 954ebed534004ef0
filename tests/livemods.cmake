# SPDX-License-Identifier: GPL-3.0-or-later
# Live-host modules: PortMidi input (src/control/gb_pmidi.c), the status view (src/live/gb_status.c) and
# `gbac midi list`.
gb_add_test(test_pmidi SOURCES test_pmidi.c LIBS gbac_host)
# The screen test runs the view on a pseudo-terminal (forkpty: libutil).
gb_add_test(test_status SOURCES test_status.c LIBS gbac_host util)

# This machine has no ALSA sequencer: the command must still exit 0 with a plain sentence.
add_test(NAME midi_list_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/midi_list_cli.sh $<TARGET_FILE:gbac>)
# In sanitizer builds LeakSanitizer would report the PortMidi suppression on stderr, which
# the script (rightly) treats as unexpected output.
set_tests_properties(midi_list_cli PROPERTIES ENVIRONMENT "LSAN_OPTIONS=print_suppressions=0")
