# SPDX-License-Identifier: GPL-3.0-or-later
# gbac.melody-gan: answers on bar boundaries, in key, deterministic, block-size independent,
# allocation-free in process(); accompany, taste (ratings, save/load), score reports through
# the engine, inference spread over the bar, density following the call.
gb_add_test(test_unit_melodygan SOURCES test_unit_melodygan.c LIBS gbac_host PkgConfig::FFTW3)
# The malloc replacements must stay calls, not be folded by the compiler's builtins.
set_source_files_properties(test_unit_melodygan.c PROPERTIES COMPILE_OPTIONS "-fno-builtin")
# The live unit's answers and accompaniment on the shipped corpus' held-out tunes, measured
# as `gbac eval melody` measures the generator, against issue 13's targets (~20 s, label once).
gb_add_test(test_melodygan_figures SOURCES test_melodygan_figures.c LIBS gbac_host)
set_tests_properties(test_melodygan_figures PROPERTIES TIMEOUT 300)
