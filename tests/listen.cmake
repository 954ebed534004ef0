# SPDX-License-Identifier: GPL-3.0-or-later
# The blind listening test (`gbac listen-test`, docs/listen-test.md): its pure parts in C (the
# exact binomial interval against known values, the answers, the results file), the command's
# errors and `gbac eval melody --listen-test`'s checks from the shell, and the test driven
# through 10 pairs by chromedriver in a real headless Chromium (listen_test_browser, ~20 s,
# label `once` like web_browser).
gb_add_test(test_listen SOURCES test_listen.c LIBS gbac_host)
add_test(NAME listen_test_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/listen_test_cli.sh $<TARGET_FILE:gbac>)
set_tests_properties(listen_test_cli PROPERTIES TIMEOUT 300)
add_test(NAME listen_test_browser
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/listen_test_browser.py $<TARGET_FILE:gbac>)
set_tests_properties(listen_test_browser PROPERTIES TIMEOUT 240 RUN_SERIAL ON)
