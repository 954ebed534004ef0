# SPDX-License-Identifier: GPL-3.0-or-later
# Tests of the built-in units gbac.delay, gbac.reverb, gbac.limiter and gbac.arpeggiator.
# They compile the units' own sources and link gbac_dsp only, so they build and run whatever
# state the rest of gbac_host is in (the same files are also globbed into gbac_host).
set(GB_UNITS_DIR ${PROJECT_SOURCE_DIR}/src/units)

gb_add_test(test_units_fx
  SOURCES test_units_fx.c ${GB_UNITS_DIR}/unit_delay.c ${GB_UNITS_DIR}/unit_reverb.c
          ${GB_UNITS_DIR}/unit_limiter.c ${GB_UNITS_DIR}/unit_arpeggiator.c
  LIBS gbac_dsp)
target_include_directories(test_units_fx PRIVATE ${GB_UNITS_DIR})
target_link_libraries(test_units_fx PRIVATE gbac_abi)
# test_units_fx replaces malloc & co. to prove process() never allocates: keep those calls.
set_source_files_properties(test_units_fx.c PROPERTIES COMPILE_OPTIONS "-fno-builtin")

gb_add_test(test_unit_arp SOURCES test_unit_arp.c ${GB_UNITS_DIR}/unit_arpeggiator.c
  LIBS gbac_dsp)
target_link_libraries(test_unit_arp PRIVATE gbac_abi)
target_include_directories(test_unit_arp PRIVATE ${GB_UNITS_DIR})
