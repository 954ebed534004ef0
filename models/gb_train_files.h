/* gb_train_files.h — the training drivers behind `gbac train`: a dataset folder in, model
 * files out (the timbre VAE: decoder, encoder, checkpoint; the melody GAN: generator and
 * critic). Outputs are checked for writability before a long run, not after it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_TRAIN_FILES_H
#define GB_TRAIN_FILES_H

#include <stdio.h>

#include "gb_common.h"
#include "gb_melgan.h"
#include "gb_vae.h"

#define GB_TRAIN_PATH_MAX 4200

typedef struct gb_train_job {
    const char *data;    /* dataset folder */
    const char *out;     /* the main model file (decoder / generator) */
    const char *command; /* stored in the model cards, e.g. "gbac train timbre --data ..." */
    FILE *log;           /* warnings, e.g. no validation notes; NULL: none */
} gb_train_job_t;

typedef struct gb_train_files {
    char second[GB_TRAIN_PATH_MAX];     /* OUT.enc (encoder) or OUT.disc (critic) */
    char checkpoint[GB_TRAIN_PATH_MAX]; /* the timbre VAE's checkpoint file, else "" */
} gb_train_files_t;

/** Train the timbre VAE with cfg (cfg->checkpoint NULL: OUT.ckpt) on job->data, resuming
 *  from the checkpoint `resume` when non-NULL, and write OUT and OUT.enc (gb_vae_save).
 *  Returns 0 with the report and the files' names, or a negative error naming the file.
 *  [main] */
int gb_train_timbre(const gb_train_job_t *job, gb_vae_config_t cfg, const char *resume,
                    gb_vae_report_t *rep, gb_train_files_t *files, gb_error_t *err);

/** Train the melody GAN with cfg on job->data (resuming from the checkpoint `resume` when
 *  non-NULL; cfg->checkpoint, when set, is written as it goes) and write OUT and OUT.disc
 *  (gb_melgan_save), and the likelihood-only model to likelihood_out and its .disc when
 *  non-NULL. Returns 0 with the report, or a negative error naming the file. [main] */
int gb_train_melody(const gb_train_job_t *job, const gb_melgan_config_t *cfg,
                    const char *likelihood_out, const char *resume, gb_melgan_report_t *rep,
                    gb_train_files_t *files, gb_error_t *err);

#endif
