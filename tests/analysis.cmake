# SPDX-License-Identifier: GPL-3.0-or-later
# Note analysis (dsp/gb_analysis.c), the timbre JSON format (models/io/gb_timbre_json.c) and
# `gbac analyze` (models/gb_note_timbre.c). One executable, three ctests:
#   test_analysis         accuracy on synthesised tones, errors, the JSON reader and writer
#   analysis_cli          `gbac analyze` on WAV/FLAC files it writes
#   analysis_fluidsynth   A4 of FluidR3 instruments = 440 ± 1 Hz; reported as skipped (with
#                         the reason) when fluidsynth, csvmidi or FluidR3_GM.sf2 are missing
gb_add_test(test_analysis SOURCES test_analysis.c LIBS gbac_host)
set_tests_properties(test_analysis PROPERTIES TIMEOUT 120)
add_test(NAME analysis_cli COMMAND test_analysis --cli $<TARGET_FILE:gbac>)
set_tests_properties(analysis_cli PROPERTIES TIMEOUT 120)
add_test(NAME analysis_fluidsynth COMMAND test_analysis --fluidsynth)
set_tests_properties(analysis_fluidsynth PROPERTIES TIMEOUT 300
                     SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
