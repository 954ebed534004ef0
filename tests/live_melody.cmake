# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac live` with presets/melody-answer.json against a real, named jackd (dummy backend) that
# the test starts; the test's JACK client is timebase master. A call sent by JACK MIDI is
# answered on gbac's MIDI out from a bar boundary, at 100 and then at 132 BPM.
gb_add_test(test_live_melody SOURCES test_live_melody.c LIBS gbac_host)
set_tests_properties(test_live_melody PROPERTIES TIMEOUT 120 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
