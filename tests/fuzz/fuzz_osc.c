/* fuzz_osc.c — libFuzzer target for the live OSC server: any byte string taken as one OSC
 * packet (lo_get_path + lo_message_deserialise, as liblo does on receipt) and handed to
 * gb_osc_server_dispatch must be served, refused or answered with an error — never a crash,
 * never a command that is not a valid one for the engine. The rack has the timbre VAE (its
 * latent forms /gbac/timbre/z, /gbac/timbre/z/N, morph) and a delay; a served message must
 * have type tags its method in the path table accepts, and a parameter it sets must be
 * inside the parameter's range.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built with -fsanitize=fuzzer when GBAC_FUZZ=ON (clang), and in every build linked with
 * replay.c, which runs it over the committed corpus (tests/fuzz/corpus/osc/). Replies go to
 * a local sink socket that is drained after every input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lo/lo.h>

#include "gb_engine_util.h"
#include "gb_osc_handlers.h"
#include "gb_osc_server.h"
#include "gb_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
    gb_preset_t *preset;
    gb_engine_t *engine;
    gb_ring_t *ring;
    gb_live_stats_t stats;
    gb_osc_server_t *srv;
    lo_server sink;
    lo_address from;
} g;

static int cb_send(void *ctx, const gb_live_cmd_t *cmd)
{
    (void)ctx;
    return gb_ring_push(g.ring, cmd) ? 0 : GB_ERANGE;
}

static const gb_engine_t *cb_engine(void *ctx)
{
    (void)ctx;
    return g.engine;
}

static void init(void)
{
    const gbp_descriptor_t *fx[] = {&gb_unit_delay};
    g.preset = gbt_rack(2, fx, 1);
    g.preset->instrument.desc = &gb_unit_timbrevae;
    snprintf(g.preset->instrument.slot, sizeof g.preset->instrument.slot, "vae");
    g.engine = gbt_engine(g.preset, 256);
    g.ring = gb_ring_new(sizeof(gb_live_cmd_t), 16);
    g.sink = lo_server_new_with_proto(NULL, LO_UDP, NULL);
    if (!g.engine || !g.ring || !g.sink)
        abort();
    char port[16];
    snprintf(port, sizeof port, "%d", lo_server_get_port(g.sink));
    g.from = lo_address_new("127.0.0.1", port);
    gb_osc_server_config_t c = gb_osc_server_config_default();
    c.port = 0;
    c.host = (gb_osc_host_t){.send = cb_send, .engine = cb_engine, .stats = &g.stats,
                             .preset_dir = "/nonexistent-gbac-fuzz/presets",
                             .session_dir = "/nonexistent-gbac-fuzz/sessions"};
    g.srv = gb_osc_server_new(&c, NULL);
    if (!g.srv || !g.from)
        abort();
}

static void check_cmd(const gb_live_cmd_t *c)
{
    const int n = gb_engine_param_count(g.engine);
    switch (c->kind) {
    case GB_CMD_EVENT:
        if (c->ev.type == GBP_EV_PARAM) {
            int ok = 0;
            for (int i = 0; i < n; i++)
                ok |= gb_engine_param_handle(g.engine, i) == (int32_t)c->ev.id;
            const gbp_param_info_t *pi = NULL;
            if (!ok || gb_engine_param_info(g.engine, (int32_t)c->ev.id, NULL, &pi) != 0 ||
                !(c->ev.value >= pi->min && c->ev.value <= pi->max))
                abort();
        } else if (c->ev.type < GBP_EV_NOTE_ON || c->ev.type > GBP_EV_ALL_OFF ||
                   c->ev.key > 127 || c->ev.channel > 15) {
            abort();
        }
        break;
    case GB_CMD_TEMPO:
        if (!(c->value >= 20.0f && c->value <= 300.0f))
            abort();
        break;
    case GB_CMD_LEARN:
        if (c->handle < -1 || c->handle >= 1 << 24)
            abort();
        break;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g.srv)
        init();
    if (size == 0 || size > 65536)
        return 0;
    /* liblo may byte-swap in place: work on a copy. */
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    const uint64_t before = atomic_load(&g.stats.osc_messages) +
                            atomic_load(&g.stats.osc_errors) +
                            atomic_load(&g.stats.osc_dropped) + atomic_load(&g.stats.osc_refused);
    const char *path = lo_get_path(copy, (ssize_t)size);
    int result = 0;
    lo_message msg = path ? lo_message_deserialise(copy, size, &result) : NULL;
    if (msg) {
        const uint64_t served = atomic_load(&g.stats.osc_messages);
        gb_osc_server_dispatch(g.srv, path, msg, g.from);
        const uint64_t after = atomic_load(&g.stats.osc_messages) +
                               atomic_load(&g.stats.osc_errors) +
                               atomic_load(&g.stats.osc_dropped) +
                               atomic_load(&g.stats.osc_refused);
        if (after != before + 1) /* each message ends in exactly one counter */
            abort();
        /* Served only through the table, with type tags its method accepts. */
        const char *types = lo_message_get_types(msg);
        if (atomic_load(&g.stats.osc_messages) != served &&
            !gb_osc_types_accepted(gb_osc_method_find(path), types ? types : ""))
            abort();
        lo_message_free(msg);
    }
    free(copy);
    gb_live_cmd_t c;
    while (gb_ring_pop(g.ring, &c))
        check_cmd(&c);
    while (lo_server_recv_noblock(g.sink, 0) > 0)
        ;
    return 0;
}
