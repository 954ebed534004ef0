# SPDX-License-Identifier: GPL-3.0-or-later
# Model files (models/io/gb_safetensors.c, models/io/gb_modelfile.c) and `gbac model info`.

# Round trips and one cmocka test per kind of bad file.
gb_add_test(test_modelfile SOURCES test_modelfile.c LIBS gbac_models PkgConfig::JANSSON)

# The CLI: test_modelfile writes a good file and some bad ones, then a shell script runs
# `gbac model info` on them and checks exit statuses and output.
set(GB_MODELFILE_SAMPLES ${CMAKE_CURRENT_BINARY_DIR}/modelfile_samples)
add_test(NAME modelfile_cli_samples
         COMMAND test_modelfile --write-samples ${GB_MODELFILE_SAMPLES})
set_tests_properties(modelfile_cli_samples PROPERTIES FIXTURES_SETUP modelfile_samples)
add_test(NAME modelfile_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/modelfile_cli.sh $<TARGET_FILE:gbac>
                 ${GB_MODELFILE_SAMPLES})
set_tests_properties(modelfile_cli PROPERTIES FIXTURES_REQUIRED modelfile_samples)

# The fuzz target: always built as a corpus replay; as a libFuzzer binary with GBAC_FUZZ=ON.
add_subdirectory(fuzz)
