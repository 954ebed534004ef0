# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac bench`: the JSON names scripts read are there with finite figures (no timing asserted).
# Not in the sanitizer builds: an instrumented -O0 binary says nothing about benchmarks.
if(GBAC_SANITIZE OR GBAC_RTSAN)
  return()
endif()
add_test(NAME bench_cli COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench_cli.sh $<TARGET_FILE:gbac>)
set_tests_properties(bench_cli PROPERTIES TIMEOUT 300)
