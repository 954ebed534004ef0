# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac live` against a real, named jackd (dummy backend) started by the test itself.
# JACK and liblo come with gbac_host.
gb_add_test(test_live_jack SOURCES test_live_jack.c LIBS gbac_host PkgConfig::FFTW3)
set_tests_properties(test_live_jack PROPERTIES TIMEOUT 180 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
find_package(Threads REQUIRED)
gb_add_test(test_ring SOURCES test_ring.c LIBS gbac_host Threads::Threads)
# Each unit's cost in view (/gbac/status, --stats-json): names follow a preset swap, an
# expensive unit shows a larger share (ratios of gbac's own figures only).
gb_add_test(test_live_load SOURCES test_live_load.c LIBS gbac_host)
set_tests_properties(test_live_load PROPERTIES TIMEOUT 120 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
# The soak: random OSC performance, preset and model swaps, recordings; GBAC_SOAK_SECONDS
# (default 30) sets its length, 600 for the full soak.
gb_add_test(test_live_soak SOURCES test_live_soak.c LIBS gbac_host)
set_tests_properties(test_live_soak PROPERTIES TIMEOUT 900 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
