/* gb_voicealloc.c — voice allocation and stealing.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_voicealloc.h"

#include <string.h>

void gb_voicealloc_init(gb_voicealloc_t *va, int n) GB_RT
{
    memset(va, 0, sizeof *va);
    va->n = n < 1 ? 1 : n > GB_MAX_VOICES ? GB_MAX_VOICES : n;
}

int gb_voicealloc_note_on(gb_voicealloc_t *va, uint8_t key, uint8_t channel, int *stolen) GB_RT
{
    int pick = -1;
    /* 1. a free voice */
    for (int i = 0; i < va->n && pick < 0; i++)
        if (va->v[i].state == GB_VOICE_IDLE)
            pick = i;
    *stolen = pick < 0;
    /* 2. the voice released longest ago */
    for (int i = 0; i < va->n && *stolen; i++)
        if (va->v[i].state == GB_VOICE_RELEASED &&
            (pick < 0 || va->v[i].released < va->v[pick].released))
            pick = i;
    /* 3. the quietest voice (ties: the oldest) */
    if (pick < 0) {
        for (int i = 0; i < va->n; i++)
            if (pick < 0 || va->v[i].level < va->v[pick].level ||
                (va->v[i].level == va->v[pick].level && va->v[i].started < va->v[pick].started))
                pick = i;
    }
    gb_voice_slot_t *s = &va->v[pick];
    s->state = GB_VOICE_HELD;
    s->key = key;
    s->channel = channel;
    s->started = ++va->clock;
    s->released = 0;
    s->level = 0.0f;
    return pick;
}

static void release_voice(gb_voicealloc_t *va, int i, gb_voice_release_fn release, void *ctx) GB_RT
{
    va->v[i].state = GB_VOICE_RELEASED;
    va->v[i].released = ++va->clock;
    if (release)
        release(ctx, i);
}

int gb_voicealloc_note_off(gb_voicealloc_t *va, uint8_t key, uint8_t channel,
                           gb_voice_release_fn release, void *ctx) GB_RT
{
    int count = 0;
    for (int i = 0; i < va->n; i++) {
        gb_voice_slot_t *s = &va->v[i];
        if (s->state != GB_VOICE_HELD || s->key != key || s->channel != channel)
            continue;
        count++;
        if (va->sustain)
            s->state = GB_VOICE_SUSTAINED;
        else
            release_voice(va, i, release, ctx);
    }
    return count;
}

void gb_voicealloc_sustain(gb_voicealloc_t *va, int down, gb_voice_release_fn release,
                           void *ctx) GB_RT
{
    va->sustain = down != 0;
    if (down)
        return;
    for (int i = 0; i < va->n; i++)
        if (va->v[i].state == GB_VOICE_SUSTAINED)
            release_voice(va, i, release, ctx);
}

void gb_voicealloc_all_off(gb_voicealloc_t *va, gb_voice_release_fn release,
                           void *ctx) GB_RT
{
    va->sustain = 0;
    for (int i = 0; i < va->n; i++)
        if (va->v[i].state == GB_VOICE_HELD || va->v[i].state == GB_VOICE_SUSTAINED)
            release_voice(va, i, release, ctx);
}

void gb_voicealloc_free(gb_voicealloc_t *va, int voice) GB_RT
{
    if (voice >= 0 && voice < GB_MAX_VOICES)
        va->v[voice].state = GB_VOICE_IDLE;
}

int gb_voicealloc_active(const gb_voicealloc_t *va)
{
    int n = 0;
    for (int i = 0; i < va->n; i++)
        n += va->v[i].state != GB_VOICE_IDLE;
    return n;
}
