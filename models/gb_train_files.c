/* gb_train_files.c — training drivers: dataset folder in, model files out (gb_train_files.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_train_files.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gb_melody_ds.h"
#include "gb_timbre_ds.h"

/* Can `path` be written? Checked before a long run rather than after it. */
static int probe_writable(const char *path, gb_error_t *err)
{
    int existed = access(path, F_OK) == 0;
    FILE *f = fopen(path, "ab");
    if (!f)
        return gb_error_set(err, GB_EIO, "cannot write %s: %s", path, strerror(errno));
    fclose(f);
    if (!existed)
        remove(path);
    return 0;
}

/* The second file's name ("OUT.enc"), and every output probed. */
static int outputs(const gb_train_job_t *job, const char *ext, const char *ckpt,
                   gb_train_files_t *files, gb_error_t *err)
{
    memset(files, 0, sizeof *files);
    if (strlen(job->out) + 8 > sizeof files->second)
        return gb_error_set(err, GB_EINVAL, "%s: the name is too long", job->out);
    snprintf(files->second, sizeof files->second, "%s%s", job->out, ext);
    if (ckpt)
        snprintf(files->checkpoint, sizeof files->checkpoint, "%s", ckpt);
    int rc = probe_writable(job->out, err);
    if (rc == 0)
        rc = probe_writable(files->second, err);
    if (rc == 0 && ckpt)
        rc = probe_writable(ckpt, err);
    return rc;
}

/* A failure after the progress line started: end that line first. */
static int train_failed(int progress, int rc)
{
    if (progress)
        fputc('\n', stderr);
    return rc;
}

static int vae_run(const gb_train_job_t *job, const gb_vae_config_t *cfg, const char *resume,
                   const gb_tds_t *ds, gb_vae_report_t *rep, gb_error_t *err)
{
    gb_vae_t *vae = gb_vae_new(cfg, err);
    int rc = vae ? 0 : (err && err->code ? err->code : GB_ENOMEM);
    if (rc == 0 && resume)
        rc = gb_vae_checkpoint_load(vae, resume, err);
    if (rc == 0 && (rc = gb_vae_train(vae, ds, rep, err)) < 0)
        rc = train_failed(cfg->progress, rc);
    if (rc == 0)
        rc = gb_vae_save(vae, ds, rep, job->command, job->out, err);
    gb_vae_free(vae);
    return rc;
}

int gb_train_timbre(const gb_train_job_t *job, gb_vae_config_t cfg, const char *resume,
                    gb_vae_report_t *rep, gb_train_files_t *files, gb_error_t *err)
{
    char ckpt[GB_TRAIN_PATH_MAX];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", job->out);
    int rc = outputs(job, ".enc", cfg.checkpoint ? cfg.checkpoint : ckpt, files, err);
    if (rc)
        return rc;
    cfg.checkpoint = files->checkpoint;
    gb_tds_t *ds = gb_tds_load(job->data, err);
    if (!ds)
        return err && err->code ? err->code : GB_EIO;
    int chk = gb_vae_check_data(ds, err);
    if (chk < 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
        rc = gb_error_set(err, chk, "%s: %s", job->data, msg);
    } else if (chk == 1 && job->log) {
        fprintf(job->log, "gbac train: warning: %s has no validation notes; validating on the "
                          "training notes\n", job->data);
    }
    if (rc == 0)
        rc = vae_run(job, &cfg, resume, ds, rep, err);
    gb_tds_free(ds);
    return rc;
}

int gb_train_melody(const gb_train_job_t *job, const gb_melgan_config_t *cfg,
                    const char *likelihood_out, const char *resume, gb_melgan_report_t *rep,
                    gb_train_files_t *files, gb_error_t *err)
{
    int rc = outputs(job, ".disc", cfg->checkpoint, files, err);
    char disc2[GB_TRAIN_PATH_MAX + 8];
    if (rc == 0 && likelihood_out) {
        snprintf(disc2, sizeof disc2, "%s.disc", likelihood_out);
        rc = probe_writable(likelihood_out, err);
        if (rc == 0)
            rc = probe_writable(disc2, err);
    }
    if (rc)
        return rc;
    gb_melody_ds_t *ds = gb_melody_ds_load(job->data, err);
    gb_melgan_t *g = ds ? gb_melgan_new(cfg, err) : NULL;
    rc = g ? 0 : (err && err->code ? err->code : GB_EIO);
    if (rc == 0 && resume)
        rc = gb_melgan_checkpoint_load(g, resume, err);
    if (rc == 0 && (rc = gb_melgan_train(g, ds, rep, err)) < 0)
        rc = train_failed(cfg->progress, rc);
    if (rc == 0)
        rc = gb_melgan_save(g, ds, rep, job->command, 0, job->out, err);
    if (rc == 0 && likelihood_out)
        rc = gb_melgan_save(g, ds, rep, job->command, 1, likelihood_out, err);
    gb_melgan_free(g);
    gb_melody_ds_free(ds);
    return rc;
}
