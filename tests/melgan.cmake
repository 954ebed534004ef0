# SPDX-License-Identifier: GPL-3.0-or-later
# The melody GAN (models/gb_melgan.c) and `gbac generate melody` (models/gb_melody_gen.c), on a
# synthetic dataset built in memory (C-major scales and arpeggios, 4/4 and 6/8): training
# lowers validation cross-entropy, the softmax loss gradient, exported model = training
# forward, the critic file and its pair, generation deterministic per seed, MIDI bars at the
# meter, --key D transposition, CLI errors, and the shipped model when present.
gb_add_test(test_melgan SOURCES test_melgan.c LIBS gbac_host)
set_tests_properties(test_melgan PROPERTIES TIMEOUT 60
                     ENVIRONMENT "GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
