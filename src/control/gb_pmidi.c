/* gb_pmidi.c — PortMidi input: listing, the poll thread, and the pure bytes → commands path.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "gb_pmidi.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <portmidi.h>
#include <porttime.h>

#define POLL_NS 1000000L /* 1 ms between polls of an idle device */
#define READ_CHUNK 64

/* ---- the pure path ---------------------------------------------------------------------- */

void gb_pmidi_stream_init(gb_pmidi_stream_t *s, gb_ring_t *ring, gb_live_stats_t *stats)
{
    memset(s, 0, sizeof *s);
    gb_midi_parser_init(&s->parser);
    s->ring = ring;
    s->stats = stats;
}

/* One byte through the parser; a completed message with an event form goes onto the ring. */
static int feed_byte(gb_pmidi_stream_t *s, uint8_t byte, uint64_t frame)
{
    gb_midi_msg_t msg;
    if (!gb_midi_parser_feed(&s->parser, byte, &msg))
        return 0;
    gb_live_cmd_t cmd;
    memset(&cmd, 0, sizeof cmd);
    if (!gb_midi_to_event(&msg, 0, &cmd.ev))
        return 0;
    cmd.kind = GB_CMD_EVENT;
    cmd.frame = frame;
    if (s->ring && gb_ring_push(s->ring, &cmd)) {
        s->pushed++;
        return 1;
    }
    s->dropped++;
    if (s->stats)
        atomic_fetch_add_explicit(&s->stats->midi_dropped, 1, memory_order_relaxed);
    return 0;
}

int gb_pmidi_feed_bytes(gb_pmidi_stream_t *s, const uint8_t *bytes, size_t n,
                        uint64_t now_frame, uint32_t lookahead)
{
    uint64_t frame = now_frame + lookahead;
    int pushed = 0;
    for (size_t i = 0; i < n; i++)
        pushed += feed_byte(s, bytes[i], frame);
    return pushed;
}

int gb_pmidi_feed_message(gb_pmidi_stream_t *s, uint32_t message, uint64_t now_frame,
                          uint32_t lookahead)
{
    uint8_t b[4] = {(uint8_t)(message & 0xFF), (uint8_t)((message >> 8) & 0xFF),
                    (uint8_t)((message >> 16) & 0xFF), (uint8_t)((message >> 24) & 0xFF)};
    const gb_midi_parser_t *p = &s->parser;
    uint64_t frame = now_frame + lookahead;
    size_t n;

    if (b[0] >= 0xF8) {
        n = 1; /* real-time: always a PmEvent of its own, even inside a sysex */
    } else if (b[0] == 0xF0 || (p->in_sysex && b[0] < 0x80) || (p->in_sysex && b[0] == 0xF7)) {
        /* Sysex data: up to 4 bytes, up to the 0xF7 that ends it. A status byte that ends
         * it early starts a message that takes its own data bytes from the same word. */
        int pushed = 0;
        for (size_t i = 0; i < 4; i++) {
            uint8_t c = b[i];
            pushed += feed_byte(s, c, frame);
            if (c == 0xF7)
                break;
            if (c >= 0x80 && c < 0xF8 && i > 0 && !p->in_sysex) {
                int len = gb_midi_data_len(c);
                for (size_t j = i + 1; len > 0 && j < 4; j++, len--)
                    pushed += feed_byte(s, b[j], frame);
                break;
            }
        }
        return pushed;
    } else if (b[0] >= 0x80) {
        /* A status byte (ends an unfinished sysex if one is open): status + its data. */
        int len = gb_midi_data_len(b[0]);
        n = 1 + (size_t)(len > 0 ? len : 0);
    } else if (p->pending) {
        n = (size_t)(p->need > p->have ? p->need - p->have : 1); /* continue a message */
    } else if (p->status) {
        n = p->need ? p->need : 1; /* running status: a whole message's data */
    } else {
        n = 1; /* a data byte with no status: the parser drops (and counts) it */
    }
    if (n > 4)
        n = 4;
    return gb_pmidi_feed_bytes(s, b, n, now_frame, lookahead);
}

/* PortMidi 217 leaks the default-device names it builds in Pm_Initialize (find_default_device,
 * ~70 bytes a call). Not ours to fix; tell LeakSanitizer so sanitizer builds of anything that
 * lists or opens MIDI devices stay green. Only in ASan builds, where nothing else defines it. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GB_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define GB_ASAN 1
#endif
#ifdef GB_ASAN
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:find_default_device\n";
}
#endif

/* ---- PortMidi set-up -------------------------------------------------------------------- */

/* Without an ALSA sequencer, libasound prints "ALSA lib seq_hw.c:...: open /dev/snd/seq
 * failed" on stderr during Pm_Initialize. gbac says the same thing in a plain sentence, so
 * silence ALSA's own printer for the duration. libasound is already loaded (PortMidi links
 * it); we find its setter by name so no ALSA headers are needed to build. */
typedef void (*alsa_err_handler_t)(const char *file, int line, const char *fn, int err,
                                   const char *fmt, ...);
static void quiet_alsa(const char *file, int line, const char *fn, int err, const char *fmt,
                       ...)
{
    (void)file, (void)line, (void)fn, (void)err, (void)fmt;
}

static int pm_init(gb_error_t *err)
{
    int (*set_handler)(alsa_err_handler_t) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "snd_lib_error_set_handler");
    memcpy(&set_handler, &sym, sizeof sym);
    if (set_handler)
        set_handler(quiet_alsa);
    PmError e = Pm_Initialize();
    if (set_handler)
        set_handler(NULL);
    if (e != pmNoError)
        return gb_error_set(err, GB_EIO, "PortMidi failed to initialise: %s",
                            Pm_GetErrorText(e));
    return 0;
}

int gb_pmidi_list(FILE *out, gb_error_t *err)
{
    int rc = pm_init(err);
    if (rc < 0)
        return rc;
    int n_in = 0;
    int n = Pm_CountDevices();
    for (int i = 0; i < n; i++) {
        const PmDeviceInfo *di = Pm_GetDeviceInfo(i);
        if (!di || !di->input)
            continue;
        if (n_in == 0)
            fprintf(out, "MIDI input devices (PortMidi):\n");
        fprintf(out, "  %2d  %-6s %s\n", i, di->interf ? di->interf : "?",
                di->name ? di->name : "?");
        n_in++;
    }
    if (n_in == 0)
        fprintf(out, "%s\n", GB_PMIDI_NO_DEVICES);
    Pm_Terminate();
    return n_in;
}

/* ---- the device and its poll thread ----------------------------------------------------- */

struct gb_pmidi {
    PortMidiStream *stream;
    pthread_t thread;
    int thread_started;
    int pt_started_here; /* we started PortTime, so we stop it */
    atomic_int stop;
    uint64_t (*now_frame)(void *ctx);
    void *ctx;
    uint32_t lookahead;
    gb_pmidi_stream_t s;
    char name[256];
};

/* [midi thread] */
static void *poll_thread(void *arg)
{
    gb_pmidi_t *pm = arg;
    PmEvent buf[READ_CHUNK];
    while (!atomic_load_explicit(&pm->stop, memory_order_acquire)) {
        int n = Pm_Read(pm->stream, buf, READ_CHUNK);
        if (n > 0) {
            /* One stamp for the batch: the events arrived within the last poll period,
             * which the lookahead covers. */
            uint64_t now = pm->now_frame ? pm->now_frame(pm->ctx) : 0;
            for (int i = 0; i < n; i++)
                gb_pmidi_feed_message(&pm->s, (uint32_t)buf[i].message, now, pm->lookahead);
            if (n == READ_CHUNK)
                continue; /* more may be waiting */
        } else if (n == pmBufferOverflow) {
            /* PortMidi lost input: start clean rather than mid-sysex or mid-message. */
            gb_midi_parser_init(&pm->s.parser);
            if (pm->s.stats)
                atomic_fetch_add_explicit(&pm->s.stats->midi_dropped, 1,
                                          memory_order_relaxed);
        }
        struct timespec ts = {0, POLL_NS};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    return NULL;
}

/* The first input device whose name contains `name`, or -1 with err saying what there is.
 * PortMidi is initialised; the caller terminates it on failure. */
static int find_input(const char *name, gb_error_t *err)
{
    int id = -1, n_in = 0;
    char avail[400] = "";
    size_t used = 0;
    for (int i = 0; i < Pm_CountDevices(); i++) {
        const PmDeviceInfo *di = Pm_GetDeviceInfo(i);
        if (!di || !di->input || !di->name)
            continue;
        n_in++;
        if (id < 0 && strstr(di->name, name))
            id = i;
        if (used < sizeof avail) {
            int w = snprintf(avail + used, sizeof avail - used, "%s\"%s\"", used ? ", " : "",
                             di->name);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (n_in == 0)
        return gb_error_set(err, GB_EIO, "MIDI device \"%s\": %s", name, GB_PMIDI_NO_DEVICES);
    if (id < 0)
        return gb_error_set(err, GB_EINVAL,
                            "no MIDI input device's name contains \"%s\"; available: %s "
                            "(see `gbac midi list`)",
                            name, avail);
    return id;
}

/* Open the stream of device id and start the poll thread. */
static int start_input(gb_pmidi_t *pm, int id, gb_error_t *err)
{
    /* PortMidi's default time base is PortTime, which must run before a stream opens. */
    if (!Pt_Started() && Pt_Start(1, NULL, NULL) == ptNoError)
        pm->pt_started_here = 1;
    PmError e = Pm_OpenInput(&pm->stream, id, NULL, 1024, NULL, NULL);
    if (e != pmNoError) {
        char host[256] = "";
        if (e == pmHostError)
            Pm_GetHostErrorText(host, sizeof host);
        pm->stream = NULL;
        return gb_error_set(err, GB_EIO, "cannot open MIDI input \"%s\": %s%s%s", pm->name,
                            Pm_GetErrorText(e), host[0] ? ": " : "", host);
    }
    Pm_SetFilter(pm->stream, PM_FILT_ACTIVE); /* active sensing is noise to us */
    /* Drain anything queued before the filter took effect. */
    PmEvent junk[READ_CHUNK];
    while (Pm_Poll(pm->stream) == pmGotData && Pm_Read(pm->stream, junk, READ_CHUNK) > 0)
        ;
    int rc = pthread_create(&pm->thread, NULL, poll_thread, pm);
    if (rc != 0)
        return gb_error_set(err, GB_EIO, "cannot start the MIDI poll thread: %s", strerror(rc));
    pm->thread_started = 1;
    return GB_OK;
}

gb_pmidi_t *gb_pmidi_open(const char *name, gb_ring_t *ring, uint64_t (*now_frame)(void *ctx),
                          void *ctx, uint32_t lookahead_frames, gb_live_stats_t *stats,
                          gb_error_t *err)
{
    if (!name || !ring) {
        gb_error_set(err, GB_EINVAL, "gb_pmidi_open: no device name or no ring");
        return NULL;
    }
    if (pm_init(err) < 0)
        return NULL;
    const int id = find_input(name, err);
    if (id < 0) {
        Pm_Terminate();
        return NULL;
    }
    gb_pmidi_t *pm = calloc(1, sizeof *pm);
    if (!pm) {
        gb_error_set(err, GB_ENOMEM, "out of memory opening MIDI device \"%s\"", name);
        Pm_Terminate();
        return NULL;
    }
    snprintf(pm->name, sizeof pm->name, "%s", Pm_GetDeviceInfo(id)->name);
    pm->now_frame = now_frame;
    pm->ctx = ctx;
    pm->lookahead = lookahead_frames;
    atomic_init(&pm->stop, 0);
    gb_pmidi_stream_init(&pm->s, ring, stats);
    if (start_input(pm, id, err) != GB_OK) {
        gb_pmidi_close(pm);
        return NULL;
    }
    return pm;
}

const char *gb_pmidi_name(const gb_pmidi_t *pm)
{
    return pm ? pm->name : "";
}

void gb_pmidi_close(gb_pmidi_t *pm)
{
    if (!pm)
        return;
    if (pm->thread_started) {
        atomic_store_explicit(&pm->stop, 1, memory_order_release);
        pthread_join(pm->thread, NULL);
    }
    if (pm->stream)
        Pm_Close(pm->stream);
    if (pm->pt_started_here)
        Pt_Stop();
    Pm_Terminate();
    free(pm);
}
