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

# `gbac dataset timbre --from-recording` (models/gb_rec_segment.c, gb_timbre_ds_rec.c):
#   from_recording_cut    a 48-note FluidR3 clarinet phrase rendered to WAV in the test: >= 90%
#                         of its notes found (onset within 40 ms, f0 within 50 cents), at most
#                         10% extra, note-offs known before rests; skipped without the SoundFont
#   from_recording_train  a dataset from the phrase, a small model trained on it (hidden 64)
#                         reconstructs the phrase's test notes better than the shipped model
#   from_recording_bad    silence, noise, clipping, 4 kHz, mono/stereo/6 channels at 22.05,
#                         44.1 and 96 kHz, a text file, a missing file: exit codes and messages
add_executable(test_from_recording test_from_recording.c) # three ctests below, none alone
target_link_libraries(test_from_recording PRIVATE PkgConfig::CMOCKA gbac_host)
target_include_directories(test_from_recording PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
add_test(NAME from_recording_cut COMMAND test_from_recording --cut $<TARGET_FILE:gbac>)
set_tests_properties(from_recording_cut PROPERTIES TIMEOUT 300
                     SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
add_test(NAME from_recording_train COMMAND test_from_recording --train $<TARGET_FILE:gbac>
         ${PROJECT_SOURCE_DIR}/models/timbre-vae.safetensors)
set_tests_properties(from_recording_train PROPERTIES TIMEOUT 600 COST 60 # started early
                     SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
add_test(NAME from_recording_bad COMMAND test_from_recording --bad $<TARGET_FILE:gbac>)
set_tests_properties(from_recording_bad PROPERTIES TIMEOUT 300)
