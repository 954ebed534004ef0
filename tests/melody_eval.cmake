# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac eval melody` (models/gb_melody_eval.c): the metrics (models/gb_melody_metrics.c) on
# hand-made phrases with known answers, and the CLI on a small dataset made on the spot from
# generated MIDI melodies (JSON keys and ranges, --roll PNG size, errors); the shipped model's
# figures on Nottingham are in models/melody-gan.md.
gb_add_test(test_melody_metrics SOURCES test_melody_metrics.c LIBS gbac_host)
add_test(NAME melody_eval_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/melody_eval_cli.sh $<TARGET_FILE:gbac>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(melody_eval_cli PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
# Answers and accompaniment on the shipped corpus against issue 13's targets (~15 s).
add_test(NAME melody_answers
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/melody_answers.sh $<TARGET_FILE:gbac>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(melody_answers PROPERTIES TIMEOUT 120)
