# SPDX-License-Identifier: GPL-3.0-or-later
# The melody GAN's trainer (models/gb_melgan*.c), its files with the corpus' phrase hashes and
# `gbac generate melody` (models/gb_melody_gen.c), on a synthetic dataset built in memory
# (C-major scales and arpeggios, 4/4 and 6/8): training lowers validation cross-entropy; the
# same configuration gives the same bytes with one thread or two; a run resumed from a
# checkpoint ends with the uninterrupted run's weights; the phrase hashes find a training
# phrase exact and transposed; generation deterministic per seed; MIDI bars at the meter;
# --key D and --after a D-major call in D major at the call's tempo; a 5/4 call with chords and
# a tempo change; CLI errors; the shipped model when present.
gb_add_test(test_melgan SOURCES test_melgan.c LIBS gbac_host)
set_tests_properties(test_melgan PROPERTIES TIMEOUT 180
                     ENVIRONMENT "GBAC_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
