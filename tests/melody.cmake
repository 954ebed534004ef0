# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac dataset melody` (models/gb_melody_ds_build.c, src/cli/cmd_dataset.c) and the melody dataset
# reader (models/gb_melody_ds.c). One executable, two ctests:
#   test_melody_data    MIDI files written at test time: a C-major scale's exact tokens, 6/8
#                       and 3/4 give 12 steps per bar, D major detected and moved to C, the
#                       highest of overlapping notes, a corrupt file skipped and counted, the
#                       split by tune, augmentation of train only, reader errors
#   melody_corpus       the 1034 Nottingham tunes shipped in models/data/nottingham: unchanged
#                       (checksum of SOURCE.md), read without --from, every file kept, meters
#                       6/8 and 3/4, no tune in two splits
gb_add_test(test_melody_data SOURCES test_melody_data.c LIBS gbac_host)
set_tests_properties(test_melody_data PROPERTIES TIMEOUT 30)
add_test(NAME melody_corpus COMMAND test_melody_data --corpus)
set_tests_properties(melody_corpus PROPERTIES TIMEOUT 30
                     ENVIRONMENT "GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
