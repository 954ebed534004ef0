# SPDX-License-Identifier: GPL-3.0-or-later
# Tests of the neural inference runtime (dsp/gb_nn*) and its fast math.
gb_add_test(test_nn_kernels SOURCES test_nn_kernels.c LIBS gbac_dsp)
gb_add_test(test_nn_streaming SOURCES test_nn_streaming.c LIBS gbac_dsp)
gb_add_test(test_nn_bf16 SOURCES test_nn_bf16.c LIBS gbac_dsp)
gb_add_test(test_fastmath SOURCES test_fastmath.c LIBS gbac_dsp)
# The oscillator bank's int16 noise tables and noise rendering (dsp/gb_oscbank*).
gb_add_test(test_oscbank_noise SOURCES test_oscbank_noise.c LIBS gbac_dsp)
gb_add_test(test_nn_noalloc SOURCES test_nn_noalloc.c LIBS gbac_dsp)
# The malloc replacements must stay calls, not be folded by the compiler's builtins.
set_source_files_properties(test_nn_noalloc.c PROPERTIES COMPILE_OPTIONS "-fno-builtin")

# Constant cost: a plain probe program, run under valgrind by nn_cost.sh for each input class.
# Instruction counts of a sanitizer build mean nothing (and valgrind cannot run ASan code).
if(GBAC_SANITIZE)
  return()
endif()
add_executable(test_nn_cost test_nn_cost.c)
target_link_libraries(test_nn_cost PRIVATE gbac_dsp)
target_include_directories(test_nn_cost PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
add_test(NAME test_nn_cost
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/nn_cost.sh $<TARGET_FILE:test_nn_cost> 8)
# valgrind runs ~50x slower than native; on a loaded 2-core VM the run took over 120 s once
# (47 s alone). The counts it asserts do not depend on time, so the limit only guards a hang.
set_tests_properties(test_nn_cost PROPERTIES TIMEOUT 600)
# The same property for the families valgrind cannot run (AVX-512), counted natively by
# single-stepping one forward per input class with ptrace.
add_test(NAME test_nn_cost_ptrace COMMAND test_nn_cost --ptrace avx2,avx512,avx512bf16)
set_tests_properties(test_nn_cost_ptrace PROPERTIES TIMEOUT 120)
# The same with bf16 weight matrices (the native vdpbf16ps path where the CPU has it).
add_test(NAME test_nn_cost_ptrace_bf16 COMMAND test_nn_cost --ptrace avx2,avx512,avx512bf16)
set_tests_properties(test_nn_cost_ptrace_bf16 PROPERTIES TIMEOUT 120
                     ENVIRONMENT GB_TEST_WEIGHTS=bf16)
