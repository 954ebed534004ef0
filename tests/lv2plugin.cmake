# SPDX-License-Identifier: GPL-3.0-or-later
# gbac.lv2 (src/lv2plugin): loaded through lilv (test_lv2_plugin), its Turtle files checked by
# lv2_validate against the LV2 schemas (lv2-dev, sord_validate from sordi), and hosted in jalv
# on a named jackd with jack_midiseq playing A4 and jack_rec recording (test_lv2_jalv).
if(NOT TARGET PkgConfig::LILV)
  pkg_check_modules(LILV REQUIRED IMPORTED_TARGET lilv-0)
endif()
set(GB_LV2P_BUNDLE_DIR $<TARGET_FILE_DIR:gbac_lv2plugin>)

gb_add_test(test_lv2_plugin SOURCES test_lv2_plugin.c LIBS gbac_host PkgConfig::LILV)
add_dependencies(test_lv2_plugin gbac_lv2plugin)
set_tests_properties(test_lv2_plugin PROPERTIES
  ENVIRONMENT "GB_LV2P_BUNDLE=${GB_LV2P_BUNDLE_DIR};GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")

add_test(NAME lv2_validate COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/lv2_validate.sh
         ${GB_LV2P_BUNDLE_DIR} ${PROJECT_SOURCE_DIR}/docs/lv2-plugin.md)

# jalv and the JACK tools are not instrumented: they cannot load a sanitizer build's gbac.so
# (the sanitized test_lv2_plugin runs the same wrapper there).
if(NOT GBAC_SANITIZE AND NOT GBAC_RTSAN)
  gb_add_test(test_lv2_jalv SOURCES test_lv2_jalv.c LIBS PkgConfig::JACK PkgConfig::SNDFILE ${MATH_LIB})
  add_dependencies(test_lv2_jalv gbac_lv2plugin)
  set_tests_properties(test_lv2_jalv PROPERTIES TIMEOUT 120 RUN_SERIAL ON
    ENVIRONMENT "GB_LV2P_BUNDLE=${GB_LV2P_BUNDLE_DIR}")
endif()
