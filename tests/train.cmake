# SPDX-License-Identifier: GPL-3.0-or-later
# The CPU training core: models/gb_mlp_train.c (MLP, Adam, export) and models/gb_vae.c (the
# timbre VAE trainer), on a synthetic dataset built in memory.
gb_add_test(test_train SOURCES test_train.c LIBS gbac_host)
set_tests_properties(test_train PROPERTIES TIMEOUT 120)

# The CLI: test_train writes datasets in the on-disk format, train_cli.sh runs `gbac train`.
set(GB_TRAIN_SAMPLES ${CMAKE_CURRENT_BINARY_DIR}/train_samples)
add_test(NAME train_cli_samples COMMAND test_train --write-datasets ${GB_TRAIN_SAMPLES})
set_tests_properties(train_cli_samples PROPERTIES FIXTURES_SETUP train_samples)
add_test(NAME train_cli
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/train_cli.sh $<TARGET_FILE:gbac> ${GB_TRAIN_SAMPLES})
set_tests_properties(train_cli PROPERTIES FIXTURES_REQUIRED train_samples TIMEOUT 120)
