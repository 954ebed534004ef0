/* gb_timbre_ds_rec.c — `gbac dataset timbre --from-recording`: solo recordings cut into notes
 * (gb_rec_segment.h), each note then through the usual pipeline (gb_timbre_ds_build.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_rec_segment.h"
#include "gb_timbre_ds_build_int.h"

/* Notes x[start, end) with a sample at or above 0.999 full scale (of the mono mix; the file
 * reader counts clipping per channel). */
static int clipped(const float *x, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (!(fabsf(x[i]) < 0.999f))
            return 1;
    return 0;
}

/* One recording: read, cut, run its notes. A file that cannot be read is an error (it was
 * named on the command line); one without notes is a warning. */
static int one_recording(run_t *r, int idx, const char *path, gb_error_t *err)
{
    const gb_timbre_ds_build_config_t *cfg = r->cfg;
    FILE *pg = cfg->progress;
    char msg[512];
    size_t n = 0;
    gb_tdsb_audio_info_t ai;
    const double t0 = gb_tdsb_now_s();
    float *x = gb_tdsb_read_audio(path, cfg->sample_rate, GB_DATASET_MAX_RECORDING_S, &n, &ai,
                                  msg, sizeof msg);
    if (!x)
        return gb_error_set(err, GB_EIO, "%s", msg);
    r->res.recordings++;
    const double t1 = gb_tdsb_now_s();
    r->res.render_s += t1 - t0;
    gb_rec_note_t *notes = NULL;
    int nn = 0;
    gb_rec_segment_stats_t st;
    int rc = gb_rec_segment(x, n, cfg->sample_rate, 50.0, 2100.0, &notes, &nn, &st, err);
    if (rc) {
        char m[256];
        snprintf(m, sizeof m, "%.200s", err ? err->msg : "cutting failed");
        free(x);
        return gb_error_set(err, rc, "%s: %s", path, m);
    }
    r->res.onsets += st.onsets;
    r->res.unstable_dropped += st.unstable_dropped + st.short_dropped;
    int clip = 0, kept0 = r->n_notes;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    r->total += nn;
    for (int i = 0; i < nn && rc == 0; i++) {
        const gb_rec_note_t *q = &notes[i];
        if (clipped(x, q->start, q->end)) {
            clip++;
            continue;
        }
        gb_tds_note_t proto;
        memset(&proto, 0, sizeof proto);
        snprintf(proto.id, sizeof proto.id, "r%03d_n%04d", idx, i);
        char name[64];
        snprintf(name, sizeof name, "%.40s@%.2fs", base, (double)q->start / cfg->sample_rate);
        gb_tdsb_ascii_copy(proto.name, sizeof proto.name, name);
        proto.program = -1;
        proto.key = -1;
        proto.velocity = 0;
        proto.onset_s = 0.0f; /* the segment starts at its onset */
        proto.off_s = (float)q->off_s;
        float *seg = malloc(sizeof(float) * (q->end - q->start));
        if (!seg) {
            rc = gb_error_set(err, GB_ENOMEM, "%s: out of memory", path);
            break;
        }
        memcpy(seg, x + q->start, sizeof(float) * (q->end - q->start));
        rc = gb_tdsb_process_note(r, seg, q->end - q->start, &proto, err);
        free(seg);
        gb_tdsb_progress(r, 0);
    }
    r->res.clipped_dropped += clip;
    r->res.analyse_s += gb_tdsb_now_s() - t1;
    if (pg) {
        fprintf(pg,
                "gbac dataset: %s: %.1f s, %d Hz, %d channel%s%s: %d onsets, %d notes cut, "
                "%d kept (%d without a stable pitch or too short, %d clipped)\n",
                path, ai.seconds, ai.sample_rate, ai.channels, ai.channels == 1 ? "" : "s",
                ai.channels > 1 ? " (mixed to mono)" : "", st.onsets, nn, r->n_notes - kept0,
                st.unstable_dropped + st.short_dropped, clip);
        if (ai.clipped)
            fprintf(pg, "gbac dataset: warning: %s: %zu samples at full scale (clipping); "
                        "notes containing them were dropped\n", path, ai.clipped);
        if (st.loudest_db < -70.0)
            fprintf(pg, "gbac dataset: warning: %s: silent (loudest 10 ms at %.0f dBFS)\n",
                    path, st.loudest_db);
        else if (r->n_notes == kept0)
            fprintf(pg, "gbac dataset: warning: %s: no stable pitched note found\n", path);
    }
    free(notes);
    free(x);
    return rc;
}

int gb_tdsb_read_recordings(run_t *r, gb_error_t *err)
{
    for (int i = 0; i < r->cfg->n_recordings; i++) {
        const int rc = one_recording(r, i, r->cfg->recordings[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}
