# SPDX-License-Identifier: GPL-3.0-or-later
# The melody model's feature writers (models/gb_melgen.c, models/gb_melody_c2st.c) write exactly
# their named sizes at their named offsets, for every meter: sentinels around each buffer stay
# intact and no float of a block is left unwritten. Runs under the sanitizers too (well under
# a second).
gb_add_test(test_melgen_layout SOURCES test_melgen_layout.c LIBS gbac_host)
set_tests_properties(test_melgen_layout PROPERTIES TIMEOUT 60)
