# SPDX-License-Identifier: GPL-3.0-or-later
# A model shipped with gbac loads over OSC (/gbac/timbre/model) from the data folder the
# binary finds beside itself, and names leaving the models folder are refused: `gbac live`
# on a named jackd (dummy backend), no GBAC_DATA_DIR. Here the build tree's gbac (its
# share/gbac/models links into the source tree, cmake/gb_layout.cmake); tests/install_check.sh
# runs the same executable on the installed, moved prefix (with a link leading outside).
# About 2 s.
gb_add_test(test_osc_model_dir SOURCES test_osc_model_dir.c LIBS gbac_host)
set_tests_properties(test_osc_model_dir PROPERTIES TIMEOUT 60 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>")
