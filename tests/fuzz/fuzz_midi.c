/* fuzz_midi.c — libFuzzer target for MIDI input: any byte string given to the byte-stream
 * parser must give only valid events, the same events however the stream is split into
 * calls, and events that survive an encode/decode round trip; any byte string given to the
 * MIDI file loader must give a consistent file or a clean error naming the origin.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built with -fsanitize=fuzzer when GBAC_FUZZ=ON (clang), and in every build linked with
 * replay.c, which runs it over the committed corpus (tests/fuzz/corpus/midi/). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gb_midi.h"
#include "gb_midifile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 4096

static void check_event(const gbp_event_t *ev)
{
    if (ev->type < GBP_EV_NOTE_ON || ev->type > GBP_EV_ALL_OFF || ev->type == GBP_EV_PARAM ||
        ev->channel > 15 || ev->key > 127 || ev->id > 127 || !(ev->value >= -1.0f) ||
        !(ev->value <= 1.0f))
        abort();
    /* Encoding and decoding again gives the same event. */
    uint8_t b[3];
    int n = gb_midi_from_event(ev, b);
    if (n < 2)
        abort();
    gb_midi_msg_t m = {.status = b[0], .len = (uint8_t)(n - 1), .data = {b[1], n > 2 ? b[2] : 0}};
    gbp_event_t back;
    if (!gb_midi_to_event(&m, ev->time, &back) || memcmp(&back, ev, sizeof back) != 0)
        abort();
}

static void fuzz_parser(const uint8_t *data, size_t size)
{
    static gbp_event_t whole[CAP], split[CAP];
    gb_midi_parser_t p, q;
    uint32_t n_whole = 0, n_split = 0;

    gb_midi_parser_init(&p);
    uint32_t dropped = gb_midi_parse(&p, data, size, 3, whole, &n_whole, CAP);
    if (n_whole + dropped > p.n_messages)
        abort();
    for (uint32_t i = 0; i < n_whole; i++)
        check_event(&whole[i]);

    /* The same bytes in chunks of varying size (taken from the data) give the same events. */
    gb_midi_parser_init(&q);
    size_t pos = 0, k = 0;
    while (pos < size) {
        size_t chunk = 1 + (size > 0 ? data[k++ % size] % 7 : 0);
        if (chunk > size - pos)
            chunk = size - pos;
        gb_midi_parse(&q, data + pos, chunk, 3, split, &n_split, CAP);
        pos += chunk;
    }
    if (n_split != n_whole || memcmp(split, whole, n_whole * sizeof *whole) != 0)
        abort();
    if (p.status != q.status || p.have != q.have || p.in_sysex != q.in_sysex ||
        p.sysex_len != q.sysex_len || p.n_messages != q.n_messages ||
        p.n_dropped != q.n_dropped || p.n_truncated != q.n_truncated || p.n_sysex != q.n_sysex)
        abort();
}

static void fuzz_file(const uint8_t *data, size_t size)
{
    gb_error_t err = {0};
    gb_midifile_t *mf = gb_midifile_load_mem(data, size, "fuzz", 48000.0, &err);
    if (!mf) {
        if (err.code >= 0 || strncmp(err.msg, "fuzz: ", 6) != 0)
            abort();
        return;
    }
    for (size_t i = 0; i < mf->n_events; i++) {
        if (i > 0 && mf->events[i].frame < mf->events[i - 1].frame)
            abort();
        if (mf->events[i].frame > mf->length_frames || (int)mf->events[i].track >= mf->n_tracks)
            abort();
        check_event(&mf->events[i].ev);
    }
    for (size_t i = 0; i < mf->n_tempos; i++)
        if (!(mf->tempos[i].bpm > 0.0) || mf->tempos[i].frame > mf->length_frames)
            abort();
    gb_midifile_free(mf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parser(data, size);
    if (size >= 4 && memcmp(data, "MThd", 4) == 0)
        fuzz_file(data, size);
    return 0;
}
