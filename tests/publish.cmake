# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac publish` and `gbac plot` on a session folder written by the test itself
# (tests/gb_session_fixture.h, per docs/session.md): FLAC tags and frames, credits, the
# archive's members, PNG sizes and colours, SVG, and the messages for bad inputs.
pkg_check_modules(GB_TEST_ARCHIVE REQUIRED IMPORTED_TARGET libarchive)
gb_add_test(test_plot SOURCES test_plot.c LIBS gbac_host m)
gb_add_test(test_publish SOURCES test_publish.c LIBS gbac_host PkgConfig::GB_TEST_ARCHIVE m)
# The whole loop from the command line: render --record (melody GAN answering), publish, plot.
add_test(NAME session_e2e COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/session_e2e.sh)
set_tests_properties(session_e2e PROPERTIES TIMEOUT 120
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
# The copy check: a model track holding two bars of a corpus tune (exact, transposed) is named.
gb_add_test(test_publish_copy SOURCES test_publish_copy.c LIBS gbac_host m)
