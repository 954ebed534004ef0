# SPDX-License-Identifier: GPL-3.0-or-later
# Session recording (src/session/gb_recorder.c, src/session/gb_session.c): the recorder's rings and disk
# thread, the session writer, `render/demo --record` with a full disk (a real tmpfs), and a
# live JACK session.
gb_add_test(test_recorder SOURCES test_recorder.c LIBS gbac_host)
set_tests_properties(test_recorder PROPERTIES TIMEOUT 60)
gb_add_test(test_session SOURCES test_session.c LIBS gbac_host)
set_tests_properties(test_session PROPERTIES TIMEOUT 120
  ENVIRONMENT "GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
add_test(NAME record_cli COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/record_cli.sh)
set_tests_properties(record_cli PROPERTIES TIMEOUT 120 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
# `gbac live --record` on a real named jackd: 10 s recorded, then a full tmpfs.
gb_add_test(test_live_record SOURCES test_live_record.c LIBS gbac_host)
set_tests_properties(test_live_record PROPERTIES TIMEOUT 120 RUN_SERIAL ON
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
