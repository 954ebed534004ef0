# SPDX-License-Identifier: GPL-3.0-or-later
# The self-contained install (cmake/gb_install.cmake): install into a temporary prefix, move
# it, run the installed gbac with a clean environment, build and load a plugin through the
# installed pkg-config file (install_check.sh says what is checked).
get_property(GB_MAN_PAGES GLOBAL PROPERTY GB_MAN_PAGES)
add_test(NAME install
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install_check.sh ${CMAKE_COMMAND}
                 ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${GB_MAN_PAGES})
# The installed LV2 bundle is played by the lilv-hosted test (tests/lv2plugin.cmake).
# The same for /gbac/timbre/model over OSC from the installed gbac (tests/osc_model.cmake).
set_tests_properties(install PROPERTIES ENVIRONMENT
  "GB_LV2P_TEST=$<TARGET_FILE:test_lv2_plugin>;GB_OSC_MODEL_TEST=$<TARGET_FILE:test_osc_model_dir>")
