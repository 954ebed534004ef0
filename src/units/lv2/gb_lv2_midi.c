/* gb_lv2_midi.c — the engine's events as an atom sequence for the plugin (MIDI bytes with
 * times relative to the block, a time:Position when the transport moved other than by
 * rolling on), and the plugin's atom MIDI output as engine events (note sources).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "gb_lv2_priv.h"

#include <lv2/atom/util.h>
#include <math.h>
#include <string.h>

static int clamp7(float v)
{
    const int i = (int)lrintf(v * 127.0f);
    return i < 0 ? 0 : i > 127 ? 127 : i;
}

/* One event as MIDI bytes; returns the count (0: nothing to send). */
static uint32_t to_midi(const gbp_event_t *ev, uint8_t *m) GBP_RT
{
    const uint8_t ch = ev->channel & 0x0f;
    switch (ev->type) {
    case GBP_EV_NOTE_ON:
        m[0] = 0x90 | ch;
        m[1] = ev->key & 0x7f;
        m[2] = (uint8_t)(clamp7(ev->value) ? clamp7(ev->value) : 1);
        return 3;
    case GBP_EV_NOTE_OFF:
        m[0] = 0x80 | ch;
        m[1] = ev->key & 0x7f;
        m[2] = (uint8_t)clamp7(ev->value);
        return 3;
    case GBP_EV_CC:
        m[0] = 0xb0 | ch;
        m[1] = (uint8_t)(ev->id & 0x7f);
        m[2] = (uint8_t)clamp7(ev->value);
        return 3;
    case GBP_EV_PITCH_BEND: {
        int b = (int)lrintf((ev->value + 1.0f) * 8192.0f);
        b = b < 0 ? 0 : b > 16383 ? 16383 : b;
        m[0] = 0xe0 | ch;
        m[1] = (uint8_t)(b & 0x7f);
        m[2] = (uint8_t)(b >> 7);
        return 3;
    }
    case GBP_EV_PRESSURE:
        m[0] = 0xd0 | ch;
        m[1] = (uint8_t)clamp7(ev->value);
        return 2;
    case GBP_EV_ALL_OFF:
        m[0] = 0xb0 | ch;
        m[1] = 123;
        m[2] = 0;
        return 3;
    default: return 0;
    }
}

static void forge_position(gb_lv2_inst_t *I, const gbp_transport_t *t) GBP_RT
{
    const gb_lv2_urids_t *u = &gb_lv2_world()->u;
    LV2_Atom_Forge *f = &I->forge;
    LV2_Atom_Forge_Frame frame;
    const double bpb = t->beats_per_bar ? (double)t->beats_per_bar : 4.0;
    const double bar = floor(t->beat / bpb);
    lv2_atom_forge_frame_time(f, 0);
    lv2_atom_forge_object(f, &frame, 0, u->time_Position);
    lv2_atom_forge_key(f, u->time_frame);
    lv2_atom_forge_long(f, (int64_t)t->frame);
    lv2_atom_forge_key(f, u->time_speed);
    lv2_atom_forge_float(f, t->playing ? 1.0f : 0.0f);
    lv2_atom_forge_key(f, u->time_bar);
    lv2_atom_forge_long(f, (int64_t)bar);
    lv2_atom_forge_key(f, u->time_barBeat);
    lv2_atom_forge_float(f, (float)(t->beat - bar * bpb));
    lv2_atom_forge_key(f, u->time_beatUnit);
    lv2_atom_forge_int(f, t->beat_unit ? (int32_t)t->beat_unit : 4);
    lv2_atom_forge_key(f, u->time_beatsPerBar);
    lv2_atom_forge_float(f, (float)bpb);
    lv2_atom_forge_key(f, u->time_beatsPerMinute);
    lv2_atom_forge_float(f, (float)t->tempo_bpm);
    lv2_atom_forge_pop(f, &frame);
}

void gb_lv2_events_to_atoms(gb_lv2_inst_t *I, const gbp_process_t *proc) GBP_RT
{
    const gb_lv2_desc_t *D = I->D;
    const gb_lv2_urids_t *u = &gb_lv2_world()->u;
    if (D->atom_out >= 0) { /* the plugin writes here: offer the whole buffer */
        I->atom_out->atom.type = u->atom_Chunk;
        I->atom_out->atom.size = GB_LV2_ATOM_BUF - sizeof(LV2_Atom);
    }
    if (D->atom_in < 0)
        return;
    LV2_Atom_Forge *f = &I->forge;
    LV2_Atom_Forge_Frame seq;
    lv2_atom_forge_set_buffer(f, (uint8_t *)I->atom_in, GB_LV2_ATOM_BUF);
    lv2_atom_forge_sequence_head(f, &seq, 0);
    const gbp_transport_t *t = proc->transport;
    if (t && D->ports[D->atom_in].position) {
        const int moved = !I->sent_position || t->tempo_bpm != I->last_bpm ||
                          (int)t->playing != I->last_playing || t->frame != I->next_frame;
        if (moved)
            forge_position(I, t);
        I->sent_position = 1;
        I->last_bpm = t->tempo_bpm;
        I->last_playing = (int)t->playing;
        I->next_frame = t->frame + proc->frames;
    }
    for (uint32_t i = 0; i < proc->n_events; i++) {
        uint8_t m[3];
        const uint32_t n = to_midi(&proc->events[i], m);
        if (!n || !D->ports[D->atom_in].midi)
            continue;
        /* times relative to the block, inside it */
        uint32_t time = proc->events[i].time < proc->frames ? proc->events[i].time
                                                            : proc->frames - 1;
        if (!lv2_atom_forge_frame_time(f, time) ||
            !lv2_atom_forge_atom(f, n, u->midi_MidiEvent) || !lv2_atom_forge_write(f, m, n))
            break; /* the buffer is full: the rest of the block's events are dropped */
    }
    lv2_atom_forge_pop(f, &seq);
}

/* A MIDI message from the plugin as an engine event (0: not one gbac carries). */
static int from_midi(const uint8_t *m, uint32_t n, gbp_event_t *ev) GBP_RT
{
    if (n < 2)
        return 0;
    const uint8_t st = m[0] & 0xf0;
    ev->channel = m[0] & 0x0f;
    ev->key = 0;
    ev->id = 0;
    if ((st == 0x90 || st == 0x80) && n >= 3) {
        ev->type = st == 0x90 && m[2] ? GBP_EV_NOTE_ON : GBP_EV_NOTE_OFF;
        ev->key = m[1] & 0x7f;
        ev->value = (float)(m[2] & 0x7f) / 127.0f;
        return 1;
    }
    if (st == 0xb0 && n >= 3) {
        ev->type = GBP_EV_CC;
        ev->id = m[1] & 0x7f;
        ev->value = (float)(m[2] & 0x7f) / 127.0f;
        return 1;
    }
    if (st == 0xe0 && n >= 3) {
        ev->type = GBP_EV_PITCH_BEND;
        ev->value = (float)(((m[2] & 0x7f) << 7) | (m[1] & 0x7f)) / 8192.0f - 1.0f;
        return 1;
    }
    if (st == 0xd0) {
        ev->type = GBP_EV_PRESSURE;
        ev->value = (float)(m[1] & 0x7f) / 127.0f;
        return 1;
    }
    return 0;
}

void gb_lv2_atoms_to_events(gb_lv2_inst_t *I, const gbp_process_t *proc) GBP_RT
{
    const gb_lv2_desc_t *D = I->D;
    const gb_lv2_urids_t *u = &gb_lv2_world()->u;
    if (!proc->n_events_out)
        return;
    uint32_t n = 0;
    if (D->atom_out >= 0 && proc->events_out && I->atom_out->atom.type == u->atom_Sequence &&
        I->atom_out->atom.size <= GB_LV2_ATOM_BUF - sizeof(LV2_Atom)) {
        LV2_ATOM_SEQUENCE_FOREACH (I->atom_out, ev) {
            if (n == proc->events_out_capacity)
                break;
            if (ev->body.type != u->midi_MidiEvent)
                continue;
            gbp_event_t *o = &proc->events_out[n];
            if (!from_midi(LV2_ATOM_BODY_CONST(&ev->body), ev->body.size, o))
                continue;
            o->time = ev->time.frames >= 0 && ev->time.frames < (int64_t)proc->frames
                          ? (uint32_t)ev->time.frames
                          : proc->frames - 1;
            o->source = 0;
            n++;
        }
    }
    *proc->n_events_out = n;
}
