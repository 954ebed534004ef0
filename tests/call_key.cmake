# SPDX-License-Identifier: GPL-3.0-or-later
# The key of a call and of a chord progression (models/gb_call_key.c) and the ABC reader
# (models/gb_abc.c): see tests/test_call_key.c.
gb_add_test(test_call_key SOURCES test_call_key.c LIBS gbac_host)
set_tests_properties(test_call_key PROPERTIES TIMEOUT 60)
