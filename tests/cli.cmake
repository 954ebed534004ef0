# SPDX-License-Identifier: GPL-3.0-or-later
# The command tables (src/cli): the README's "Commands" table agrees with every command's
# --help; the man page made from the same tables is valid roff; and the function-length rule
# over src/ and models/ with its allowlist (tests/long-functions.txt).
add_test(NAME readme_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/readme_cli.sh $<TARGET_FILE:gbac>
                 ${PROJECT_SOURCE_DIR}/README.md)
# groff (groff-base) must format gbac.1 with every warning on and print none.
add_test(NAME man_page
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/man_page.sh ${PROJECT_BINARY_DIR}/gbac.1
                 $<TARGET_FILE:gbac>)
add_test(NAME fn_length COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/fn_length.sh ${PROJECT_SOURCE_DIR})
# The parser and the help generator on a table made for the test.
gb_add_test(test_cli_opts SOURCES test_cli_opts.c LIBS gbac_host)
