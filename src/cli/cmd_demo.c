/* cmd_demo.c — `gbac demo`: render the bundled waltz (examples/demo/waltz.mid) through the
 * shipped presets to a WAV file, with no audio hardware and no JACK server.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gb_cli.h"
#include "gb_share.h"
#include "gb_render.h"
#include "gb_session.h"

#define DEMO_MIDI "examples/demo/waltz.mid"
#define DEMO_SR 48000.0
#define DEMO_BLOCK 256u
#define DEMO_PEAK 0.708f /* -3 dBFS: the mix is scaled to peak there */

/* By default each track of the phrase gets its own preset, and the layers are mixed. */
static const struct layer {
    uint32_t track; /* track number in the MIDI file (0 is the conductor track) */
    const char *name;
    const char *preset;
    float gain; /* in the mix: the melody sits 3 dB above the pad */
} layers[] = {
    {1, "melody", "breathy-lead", 1.0f},
    {2, "chords", "warm-pad", 0.708f},
};
#define N_LAYERS (sizeof layers / sizeof layers[0])

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac demo [-o OUT.wav] [--preset P] [--record DIR] [--quiet]\n"
            "       gbac demo --help\n\n"
            "Render a short piece (a waltz in G, about 28 s) from the bundled MIDI phrase\n"
            "examples/demo/waltz.mid, offline, and print the file's name on stdout. No audio\n"
            "hardware or JACK server is needed.\n\n"
            "By default the melody plays through presets/breathy-lead.json and the chords\n"
            "through presets/warm-pad.json, mixed.\n\n"
            "Options:\n"
            "  -o, --output OUT  output file, .wav or .flac (default: gbac-demo.wav in the\n"
            "                    current folder)\n"
            "  --preset P        play every track through one preset instead: a file, or the\n"
            "                    name of a shipped preset (warm-pad, pluck-arp, breathy-lead,\n"
            "                    default)\n"
            "  --record DIR      also record a session folder (docs/session.md): the mix,\n"
            "                    notes.mid (the phrase as the performer's notes, note\n"
            "                    sources' notes on their own tracks), control.jsonl,\n"
            "                    provenance.json\n"
            "  --quiet           print only the output file's name (and errors)\n"
            "  -h, --help        show this help\n\n"
            "The data (presets/, examples/demo/) is looked for in " GB_SHARE_WHERE ".\n\n"
            "Exit status: 0 on success, 1 if the data is missing or the file cannot be written,\n"
            "2 on a usage error.\n");
}

typedef struct membuf {
    float *l, *r;
    size_t n, cap;
} membuf_t;

static int mem_sink(void *user, const float *l, const float *r, uint32_t frames,
                    gb_error_t *err)
{
    membuf_t *m = user;
    if (m->n + frames > m->cap) {
        size_t nc = m->cap ? m->cap : 48000;
        while (nc < m->n + frames)
            nc *= 2;
        float *nl = realloc(m->l, nc * sizeof *nl);
        if (nl)
            m->l = nl;
        float *nr = nl ? realloc(m->r, nc * sizeof *nr) : NULL;
        if (nr)
            m->r = nr;
        if (!nl || !nr)
            return gb_error_set(err, GB_ENOMEM, "demo: out of memory");
        m->cap = nc;
    }
    memcpy(m->l + m->n, l, frames * sizeof *l);
    memcpy(m->r + m->n, r, frames * sizeof *r);
    m->n += frames;
    return 0;
}

/* Render the events of one track (or all tracks when track < 0) through a preset into mb. */
static int render_layer(gb_unit_registry_t *reg, const char *path, const gb_midifile_t *mf,
                        int track, membuf_t *mb, double *wall, gb_session_t *session,
                        gb_error_t *err)
{
    gb_preset_t *preset = gb_preset_load(path, reg, err);
    if (!preset)
        return err && err->code ? err->code : GB_EFORMAT;
    gb_midifile_t sub = *mf; /* a view: shares the file's arrays, never freed */
    gb_timed_event_t *ev = NULL;
    int rc = 0;
    if (track >= 0) {
        ev = malloc((mf->n_events + 1) * sizeof *ev);
        if (!ev) {
            gb_preset_free(preset);
            return gb_error_set(err, GB_ENOMEM, "demo: out of memory");
        }
        sub.n_events = 0;
        for (size_t i = 0; i < mf->n_events; i++)
            if (mf->events[i].track == (uint32_t)track)
                ev[sub.n_events++] = mf->events[i];
        sub.events = ev;
    }
    gb_engine_t *e = gb_engine_build(preset, DEMO_SR, DEMO_BLOCK, 1, err);
    if (!e) {
        rc = err && err->code ? err->code : GB_EINVAL;
    } else {
        gb_render_opts_t o = gb_render_opts_default();
        o.block = DEMO_BLOCK;
        o.tail_s = 6.0; /* the pad's release and reverb ring on */
        if (session) {
            rc = gb_session_add_engine(session, e, preset, 0, err);
            o.observe = gb_render_recorder;
            o.observe_ud = gb_session_recorder(session);
        }
        gb_render_stats_t st;
        if (rc == 0)
            rc = gb_render_run(e, &sub, NULL, &o, mem_sink, mb, &st, err);
        if (rc == 0)
            *wall += st.wall_s;
    }
    gb_engine_free(e);
    free(ev);
    gb_preset_free(preset);
    return rc;
}

int gb_cmd_demo(int argc, char **argv)
{
    const char *out_path = "gbac-demo.wav", *preset_arg = NULL, *record_dir = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) {
            out_path = argv[++i];
        } else if (strcmp(a, "--preset") == 0 && i + 1 < argc) {
            preset_arg = argv[++i];
        } else if (strcmp(a, "--record") == 0 && i + 1 < argc && argv[i + 1][0]) {
            record_dir = argv[++i];
        } else {
            fprintf(stderr, "gbac demo: unknown option or missing value '%s' (see `gbac demo "
                            "--help`)\n", a);
            return GB_EXIT_USAGE;
        }
    }
    gb_error_t err = {0};
    int sf_format;
    if (gb_render_sf_format(out_path, GB_RENDER_PCM24, &sf_format, &err) < 0) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        return GB_EXIT_USAGE;
    }
    char data[4096], tried[8192];
    if (gb_share_dir(DEMO_MIDI, data, sizeof data, tried, sizeof tried) < 0) {
        fprintf(stderr,
                "gbac demo: cannot find the demo data (%s); looked in: %s.\n"
                "Install gbac (cmake --install), or set GBAC_DATA_DIR to a folder that holds "
                "presets/ and examples/ (PREFIX/share/gbac, or a gbac source tree).\n",
                DEMO_MIDI, tried);
        return GB_EXIT_FAIL;
    }

    char midi_path[4200], path[4200];
    snprintf(midi_path, sizeof midi_path, "%s/%s", data, DEMO_MIDI);
    int rc = 0;
    gb_unit_registry_t *reg = NULL;
    gb_midifile_t *mf = NULL;
    membuf_t mix = {0}, layer = {0};
    double wall = 0.0;
    gb_render_out_t *out = NULL;
    gb_session_t *session = NULL;

    if (!(reg = gb_unit_registry_open(NULL, 0, &err)) ||
        !(mf = gb_midifile_load(midi_path, DEMO_SR, &err))) {
        rc = -1;
        goto done;
    }
    if (record_dir) {
        gb_session_config_t sc = gb_session_config_default();
        sc.dir = record_dir;
        sc.command = "demo";
        sc.sample_rate = DEMO_SR;
        sc.offline = 1;
        if (!(session = gb_session_start(&sc, &err))) {
            rc = -1;
            goto done;
        }
    }
    if (preset_arg) {
        gb_share_preset_path(data, preset_arg, path, sizeof path);
        if ((rc = render_layer(reg, path, mf, -1, &mix, &wall, session, &err)) < 0)
            goto done;
    } else {
        for (size_t k = 0; k < N_LAYERS; k++) {
            gb_share_preset_path(data, layers[k].preset, path, sizeof path);
            layer.n = 0;
            if ((rc = render_layer(reg, path, mf, (int)layers[k].track, &layer, &wall, session,
                                   &err)) <
                0)
                goto done;
            /* Sum into the mix (the longer of the two sets the length). */
            static const float zeros[4096];
            while (mix.n < layer.n) {
                uint32_t step = (uint32_t)(layer.n - mix.n < 4096 ? layer.n - mix.n : 4096);
                if ((rc = mem_sink(&mix, zeros, zeros, step, &err)) < 0)
                    goto done;
            }
            for (size_t i = 0; i < layer.n; i++) {
                mix.l[i] += layers[k].gain * layer.l[i];
                mix.r[i] += layers[k].gain * layer.r[i];
            }
        }
    }
    float peak = 0.0f;
    for (size_t i = 0; i < mix.n; i++)
        peak = fmaxf(peak, fmaxf(fabsf(mix.l[i]), fabsf(mix.r[i])));
    if (peak > 0.0f) { /* a fixed peak level, whatever the presets' levels */
        const float g = DEMO_PEAK / peak;
        for (size_t i = 0; i < mix.n; i++) {
            mix.l[i] *= g;
            mix.r[i] *= g;
        }
    }
    if (!(out = gb_render_out_open(out_path, DEMO_SR, GB_RENDER_PCM24, "gbac demo: a waltz in G",
                                   &err))) {
        rc = -1;
        goto done;
    }
    for (size_t i = 0; i < mix.n && rc == 0; i += 65536) {
        uint32_t n = (uint32_t)(mix.n - i < 65536 ? mix.n - i : 65536);
        rc = gb_render_out_sink(out, mix.l + i, mix.r + i, n, &err);
    }
    int crc = gb_render_out_close(out, rc == 0, rc == 0 ? &err : NULL);
    if (rc == 0)
        rc = crc;
    if (session) { /* the session's audio is the mix, as written */
        gb_session_summary_t sum;
        for (size_t i = 0; i < mix.n && rc == 0; i += 65536) {
            uint32_t n = (uint32_t)(mix.n - i < 65536 ? mix.n - i : 65536);
            gb_recorder_write_audio(gb_session_recorder(session), mix.l + i, mix.r + i, n);
        }
        crc = gb_session_stop(session, &sum, rc == 0 ? &err : NULL);
        if (rc == 0)
            rc = crc;
        if (sum.stopped[0])
            fprintf(stderr, "gbac demo: recording %s: %s\n", record_dir, sum.stopped);
        else if (rc == 0 && !quiet)
            fprintf(stderr, "gbac demo: recorded the session in %s (%llu performer notes, "
                            "%llu model notes)\n", record_dir,
                    (unsigned long long)sum.performer_notes,
                    (unsigned long long)sum.model_notes);
    }
    if (rc == 0) {
        printf("%s\n", out_path);
        if (!quiet) {
            const double secs = (double)mix.n / DEMO_SR;
            if (preset_arg)
                fprintf(stderr, "gbac demo: %.1f s through %s, rendered %.0fx faster than "
                                "real time\n", secs, path, wall > 0 ? secs / wall : 0.0);
            else
                fprintf(stderr, "gbac demo: %.1f s, melody through %s, chords through %s, "
                                "rendered %.0fx faster than real time\n", secs,
                        layers[0].preset, layers[1].preset, wall > 0 ? secs / wall : 0.0);
        }
    }
done:
    if (rc < 0)
        fprintf(stderr, "gbac: %s\n", err.msg);
    gb_session_free(session);
    free(mix.l);
    free(mix.r);
    free(layer.l);
    free(layer.r);
    gb_midifile_free(mf);
    gb_unit_registry_free(reg);
    return rc < 0 ? GB_EXIT_FAIL : GB_EXIT_OK;
}
