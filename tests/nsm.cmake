# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac live` under a session manager (NSM): a small NSM server written with liblo inside the
# test, a real, named jackd (dummy backend) started by the test itself. See docs/nsm.md.
gb_add_test(test_nsm SOURCES test_nsm.c LIBS gbac_host PkgConfig::JANSSON)
set_tests_properties(test_nsm PROPERTIES TIMEOUT 120 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
