# SPDX-License-Identifier: GPL-3.0-or-later
# The live f0 and loudness tracker (dsp/gb_pitch_track.c). One executable, two ctests:
#   test_pitch_track         synthesised notes A1..C7 within ±10 cents, no octave errors;
#                            onset latency per octave; voiced/unvoiced on notes and noise
#                            bursts (>= 95% right); silence, DC, NaN, full-scale noise;
#                            no allocation while tracking; bad configs refused
#   pitch_track_fluidsynth   FluidR3 notes A1..C7 (piano) and five other programs on their
#                            ranges: >= 98% of voiced steady hops within ±10 cents, < 1%
#                            octave errors; skipped (saying why) without FluidR3_GM.sf2
gb_add_test(test_pitch_track SOURCES test_pitch_track.c LIBS gbac_dsp PkgConfig::FLUIDSYNTH)
set_tests_properties(test_pitch_track PROPERTIES TIMEOUT 120)
add_test(NAME pitch_track_fluidsynth COMMAND test_pitch_track --fluidsynth)
set_tests_properties(pitch_track_fluidsynth PROPERTIES TIMEOUT 300
                     SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
