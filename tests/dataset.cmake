# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac dataset timbre` (models/gb_timbre_ds_build.c, src/cli/cmd_dataset.c) and the dataset
# reader (models/gb_timbre_ds.c). One executable, four ctests:
#   test_dataset        folder input (resampling, duplicates, silent and
#                       unreadable files), split, noise gate, pipeline and reader errors
#   dataset_soundfont   a 4 x 2 x 1 FluidR3_GM grid: counts, program 43 at C4 dropped, f0,
#                       frames.f32 size, round trip, determinism; reported as skipped (with the
#                       reason) when /usr/share/sounds/sf2/FluidR3_GM.sf2 is missing
#   dataset_cli         the built binary: exit codes 0/1/2, messages, a folder run
#   dataset_cli_soundfont  the built binary on a 2 x 2 x 1 FluidR3_GM grid: A4 = 440 ± 1 Hz;
#                       skipped (with the reason) without the SoundFont
gb_add_test(test_dataset SOURCES test_dataset.c LIBS gbac_host)
set_tests_properties(test_dataset PROPERTIES TIMEOUT 120)
add_test(NAME dataset_soundfont COMMAND test_dataset --soundfont)
set_tests_properties(dataset_soundfont PROPERTIES TIMEOUT 120
                     SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
add_test(NAME dataset_cli COMMAND test_dataset --cli $<TARGET_FILE:gbac>)
set_tests_properties(dataset_cli PROPERTIES TIMEOUT 120)
add_test(NAME dataset_cli_soundfont COMMAND test_dataset --cli-soundfont $<TARGET_FILE:gbac>)
set_tests_properties(dataset_cli_soundfont PROPERTIES TIMEOUT 120
                     SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
