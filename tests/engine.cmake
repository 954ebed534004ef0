# SPDX-License-Identifier: GPL-3.0-or-later
# The engine and the harmonic synth, rendered offline and measured.
pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3)
gb_add_test(test_engine SOURCES test_engine.c LIBS gbac_host PkgConfig::FFTW3)
gb_add_test(test_resynth SOURCES test_resynth.c LIBS gbac_host PkgConfig::FFTW3)
gb_add_test(test_timbrevae SOURCES test_timbrevae.c LIBS gbac_host PkgConfig::FFTW3)
# The malloc replacements must stay calls, not be folded by the compiler's builtins.
set_source_files_properties(test_timbrevae.c PROPERTIES COMPILE_OPTIONS "-fno-builtin")
# The unit ABI 2 contract as the engine keeps it (extensions, READONLY reads, host->log).
gb_add_test(test_unit_abi SOURCES test_unit_abi.c LIBS gbac_host PkgConfig::FFTW3 Threads::Threads)
