# SPDX-License-Identifier: GPL-3.0-or-later
# Timbre transfer (the timbre VAE following an audio input; src/units/tv_follow.inc,
# src/render/gb_transfer.c). One executable, two ctests:
#   test_transfer      through the engine with presets/timbre-transfer.json: a note after
#                      silence sounds at its pitch (±10 cents) within 10 ms (480 frames) of its
#                      onset; the noise part of a note's first 20 ms stays below bounds
#                      (-3.4, +2.4, +7.7 dB re the sustained note at A4, A3, A2; +1.8, +4.9,
#                      +12.3 before); noise bursts come out as unpitched noise, silence as
#                      silence;
#                      DC, NaN, full-scale noise stay finite; blocks of 64, 37, 256 give the
#                      same samples; no allocation while processing
#   transfer_cli       `gbac transfer` on 1-, 2- and 4-channel WAVs (pitch, length, rate) and
#                      bad inputs: not audio, missing, empty, 4 kHz, a preset that cannot follow
gb_add_test(test_transfer SOURCES test_transfer.c LIBS gbac_host)
set_source_files_properties(test_transfer.c PROPERTIES COMPILE_OPTIONS "-fno-builtin")
set_tests_properties(test_transfer PROPERTIES TIMEOUT 120)
add_test(NAME transfer_cli COMMAND test_transfer --cli $<TARGET_FILE:gbac>)
set_tests_properties(transfer_cli PROPERTIES TIMEOUT 120
                     ENVIRONMENT "GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
