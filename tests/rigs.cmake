# SPDX-License-Identifier: GPL-3.0-or-later
# Stage rigs (docs/rigs.md): Ableton Link between two gbac in two network namespaces, two gbac
# in one JACK graph, gbac on a netjack2 slave. Real namespaces (root; they skip otherwise),
# named jackd servers (dummy backend) and gbac processes started and stopped by the tests.
gb_add_test(test_rig_link SOURCES test_rig_link.c LIBS gbac_host PkgConfig::JANSSON)
set_tests_properties(test_rig_link PROPERTIES TIMEOUT 120 RUN_SERIAL ON SKIP_RETURN_CODE 77
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
gb_add_test(test_rig_pair SOURCES test_rig_pair.c LIBS gbac_host PkgConfig::JANSSON PkgConfig::FFTW3)
set_tests_properties(test_rig_pair PROPERTIES TIMEOUT 120 RUN_SERIAL ON SKIP_RETURN_CODE 77
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
gb_add_test(test_rig_netjack SOURCES test_rig_netjack.c LIBS gbac_host PkgConfig::JANSSON PkgConfig::FFTW3)
set_tests_properties(test_rig_netjack PROPERTIES TIMEOUT 120 RUN_SERIAL ON SKIP_RETURN_CODE 77
  ENVIRONMENT "GBAC_BIN=$<TARGET_FILE:gbac>;GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
