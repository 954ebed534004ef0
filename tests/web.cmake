# SPDX-License-Identifier: GPL-3.0-or-later
# The browser surface (`gbac live --http`, docs/web.md): its pure parts in C, and the page in a
# real headless Chromium driven by chromedriver against gbac live on a named dummy jackd
# (python3, standard library only; a network namespace for the address rules when root).
# The fuzz target for WebSocket messages is in fuzz/CMakeLists.txt. web_browser takes 50-60 s
# (150 s on an overloaded machine): it carries the label `once` (GB_TESTS_ONCE in
# CMakeLists.txt); test_web and the fuzz replay run under the sanitizers.
gb_add_test(test_web SOURCES test_web.c LIBS gbac_host)
add_test(NAME web_browser
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/web_browser.py $<TARGET_FILE:gbac>
                 $<TARGET_FILE:web_jack_cc>)
set_tests_properties(web_browser PROPERTIES TIMEOUT 300 RUN_SERIAL ON)
# A JACK MIDI controller the browser test drives (a CC per line of stdin; prints when it went).
add_executable(web_jack_cc web_jack_cc.c)
target_link_libraries(web_jack_cc PRIVATE PkgConfig::JACK)
# The callback-time window behind /gbac/window (the browser test compares its p99).
gb_add_test(test_cost_window SOURCES test_cost_window.c LIBS gbac_host)
