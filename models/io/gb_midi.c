/* gb_midi.c — MIDI byte-stream parser and event conversion (see gb_midi.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_midi.h"

static inline void bump(uint32_t *c)
{
    if (*c != UINT32_MAX)
        (*c)++;
}

/* Structs are cleared by assignment, not memset(): no library call from [audio] code. */
void gb_midi_parser_init(gb_midi_parser_t *p)
{
    *p = (gb_midi_parser_t){0};
}

int gb_midi_data_len(uint8_t status)
{
    if (status < 0x80)
        return -1;
    switch (status & 0xF0) {
    case 0x80:
    case 0x90:
    case 0xA0:
    case 0xB0:
    case 0xE0: return 2;
    case 0xC0:
    case 0xD0: return 1;
    default: break;
    }
    switch (status) {
    case 0xF1:
    case 0xF3: return 1;
    case 0xF2: return 2;
    case 0xF4:
    case 0xF5:
    case 0xF6: return 0;
    default: return -1; /* 0xF0, 0xF7, 0xF8..0xFF */
    }
}

static uint8_t channel_kind(uint8_t status)
{
    switch (status & 0xF0) {
    case 0x80: return GB_MIDI_NOTE_OFF;
    case 0x90: return GB_MIDI_NOTE_ON;
    case 0xA0: return GB_MIDI_POLY_PRESSURE;
    case 0xB0: return GB_MIDI_CC;
    case 0xC0: return GB_MIDI_PROGRAM;
    case 0xD0: return GB_MIDI_CHANNEL_PRESSURE;
    default: return GB_MIDI_PITCH_BEND;
    }
}

static int complete(gb_midi_parser_t *p, gb_midi_msg_t *msg)
{
    *msg = (gb_midi_msg_t){0};
    msg->status = p->status;
    msg->len = p->need;
    msg->data[0] = p->data[0];
    msg->data[1] = p->data[1];
    msg->kind = p->status >= 0xF0 ? GB_MIDI_SYSTEM_COMMON : channel_kind(p->status);
    /* Channel messages keep their status for running status; system common cancels it. */
    if (p->status >= 0xF0)
        p->status = 0;
    p->have = 0;
    p->pending = 0;
    bump(&p->n_messages);
    return 1;
}

int gb_midi_parser_feed(gb_midi_parser_t *p, uint8_t byte, gb_midi_msg_t *msg)
{
    if (byte >= 0xF8) { /* real-time: reported at once, touches no other state */
        *msg = (gb_midi_msg_t){0};
        msg->kind = GB_MIDI_REALTIME;
        msg->status = byte;
        bump(&p->n_messages);
        return 1;
    }
    if (byte < 0x80) { /* data byte */
        if (p->in_sysex) {
            if (p->sysex_len != UINT32_MAX)
                p->sysex_len++;
            return 0;
        }
        if (p->status == 0) {
            bump(&p->n_dropped);
            return 0;
        }
        p->data[p->have++] = byte;
        p->pending = 1;
        return p->have >= p->need ? complete(p, msg) : 0;
    }

    /* A status byte (0x80..0xF7). First, end what it interrupts. */
    if (p->in_sysex) {
        p->in_sysex = 0;
        bump(&p->n_sysex);
        if (byte == 0xF7) {
            *msg = (gb_midi_msg_t){0};
            msg->kind = GB_MIDI_SYSEX;
            msg->status = 0xF0;
            msg->sysex_len = p->sysex_len;
            bump(&p->n_messages);
            return 1;
        }
        bump(&p->n_truncated); /* an unterminated sysex, ended by this status byte */
    } else if (p->pending) {
        bump(&p->n_truncated);
    }
    p->have = 0;
    p->pending = 0;
    p->status = 0;

    if (byte == 0xF0) {
        p->in_sysex = 1;
        p->sysex_len = 0;
        return 0;
    }
    int len = gb_midi_data_len(byte);
    if (len < 0 || byte == 0xF4 || byte == 0xF5) { /* stray 0xF7, undefined 0xF4/0xF5 */
        bump(&p->n_dropped);
        return 0;
    }
    p->status = byte;
    p->need = (uint8_t)len;
    p->pending = 1;
    if (len == 0) /* 0xF6 tune request */
        return complete(p, msg);
    return 0;
}

uint32_t gb_midi_parse(gb_midi_parser_t *p, const uint8_t *bytes, size_t n, uint32_t time,
                       gbp_event_t *events, uint32_t *n_events, uint32_t cap)
{
    uint32_t dropped = 0;
    gb_midi_msg_t msg;
    for (size_t i = 0; i < n; i++) {
        if (!gb_midi_parser_feed(p, bytes[i], &msg))
            continue;
        gbp_event_t ev;
        if (!gb_midi_to_event(&msg, time, &ev))
            continue;
        if (*n_events < cap)
            events[(*n_events)++] = ev;
        else
            dropped++;
    }
    return dropped;
}

int gb_midi_to_event(const gb_midi_msg_t *msg, uint32_t time, gbp_event_t *ev)
{
    if (msg->status < 0x80 || msg->status >= 0xF0 || msg->len != gb_midi_data_len(msg->status))
        return 0;
    *ev = (gbp_event_t){0};
    ev->time = time;
    ev->channel = msg->status & 0x0F;
    ev->source = GBP_SOURCE_HUMAN;
    const uint8_t d0 = msg->data[0] & 0x7F, d1 = msg->data[1] & 0x7F;
    switch (msg->status & 0xF0) {
    case 0x90:
        ev->key = d0;
        if (d1 == 0) {
            ev->type = GBP_EV_NOTE_OFF;
            ev->value = 64.0f / 127.0f;
        } else {
            ev->type = GBP_EV_NOTE_ON;
            ev->value = (float)d1 / 127.0f;
        }
        return 1;
    case 0x80:
        ev->type = GBP_EV_NOTE_OFF;
        ev->key = d0;
        ev->value = (float)d1 / 127.0f;
        return 1;
    case 0xB0:
        ev->id = d0;
        if (d0 == 120 || d0 == 123) {
            ev->type = GBP_EV_ALL_OFF;
            return 1;
        }
        ev->type = GBP_EV_CC;
        ev->value = (float)d1 / 127.0f;
        return 1;
    case 0xE0: {
        const int b = (int)d0 | ((int)d1 << 7);
        ev->type = GBP_EV_PITCH_BEND;
        ev->value = b < 8192 ? (float)(b - 8192) / 8192.0f : (float)(b - 8192) / 8191.0f;
        return 1;
    }
    case 0xD0:
        ev->type = GBP_EV_PRESSURE;
        ev->value = (float)d0 / 127.0f;
        return 1;
    default: /* poly pressure, program change */
        return 0;
    }
}

static uint8_t to7(float v) /* 0..1 → 0..127, rounded, NaN → 0 */
{
    if (!(v > 0.0f))
        return 0;
    if (v >= 1.0f)
        return 127;
    return (uint8_t)(v * 127.0f + 0.5f);
}

int gb_midi_from_event(const gbp_event_t *ev, uint8_t out[3])
{
    const uint8_t ch = ev->channel & 0x0F, key = ev->key & 0x7F;
    switch (ev->type) {
    case GBP_EV_NOTE_ON: {
        uint8_t v = to7(ev->value);
        out[0] = 0x90 | ch;
        out[1] = key;
        out[2] = v ? v : 1;
        return 3;
    }
    case GBP_EV_NOTE_OFF:
        out[0] = 0x80 | ch;
        out[1] = key;
        out[2] = to7(ev->value);
        return 3;
    case GBP_EV_CC:
        out[0] = 0xB0 | ch;
        out[1] = (uint8_t)(ev->id & 0x7F);
        out[2] = to7(ev->value);
        return 3;
    case GBP_EV_ALL_OFF:
        out[0] = 0xB0 | ch;
        out[1] = ev->id == 120 ? 120 : 123;
        out[2] = 0;
        return 3;
    case GBP_EV_PITCH_BEND: {
        float v = ev->value;
        int b;
        if (!(v == v) || v == 0.0f)
            b = 8192;
        else if (v <= -1.0f)
            b = 0;
        else if (v >= 1.0f)
            b = 16383;
        else if (v < 0.0f)
            b = 8192 + (int)(v * 8192.0f - 0.5f);
        else
            b = 8192 + (int)(v * 8191.0f + 0.5f);
        out[0] = 0xE0 | ch;
        out[1] = (uint8_t)(b & 0x7F);
        out[2] = (uint8_t)(b >> 7);
        return 3;
    }
    case GBP_EV_PRESSURE:
        out[0] = 0xD0 | ch;
        out[1] = to7(ev->value);
        return 2;
    default: return 0;
    }
}
