# SPDX-License-Identifier: GPL-3.0-or-later
# Timbre transfer live: `gbac live --preset timbre-transfer` on a real, named jackd (dummy
# backend, -S, 48 kHz / 64 frames); a note played into gbt:in sounds at the output within
# 480 frames of its onset, counted by the transport, at its pitch (±10 cents): A4, A3, A2.
gb_add_test(test_live_transfer SOURCES test_live_transfer.c LIBS gbac_host)
set_tests_properties(test_live_transfer PROPERTIES TIMEOUT 120 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
