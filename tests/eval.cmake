# SPDX-License-Identifier: GPL-3.0-or-later
# Evaluation of the shipped timbre model (needs FluidR3_GM to make a dataset; skips without).
add_test(NAME eval_timbre_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/eval_timbre_cli.sh $<TARGET_FILE:gbac>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(eval_timbre_cli PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
