# SPDX-License-Identifier: GPL-3.0-or-later
# The melody GAN's training math (models/gb_gru_train.c, models/gb_melgan_net.c) against central
# finite differences: GRU back-propagation through time; the generator's weighted cross-entropy
# (likelihood, REINFORCE) and KL-to-reference gradients down to the conditioning; the exported
# runtime model against the training forward.
gb_add_test(test_melgan_grad SOURCES test_melgan_grad.c LIBS gbac_host)
set_tests_properties(test_melgan_grad PROPERTIES TIMEOUT 60)
