/* stub.h — a minimal, valid effect unit that each test-only bad plugin breaks in one way.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each file in bad_plugins/ includes this, copies STUB_DESCRIPTOR into its descriptor and changes
 * the one field under test, so a refusal can only come from that field. */
#ifndef GB_TEST_STUB_H
#define GB_TEST_STUB_H

#include <stdlib.h>

#include "gbac_plugin.h"

#define STUB_FN static __attribute__((unused))

static const gbp_param_info_t stub_params[] __attribute__((unused)) = {
    {0, "level", "", 0.0f, 1.0f, 0.5f, 0.0f, 0, "a parameter"},
};

STUB_FN void *stub_create(const gbp_descriptor_t *d, const gbp_host_t *h)
{
    (void)d;
    (void)h;
    return calloc(1, 16);
}
STUB_FN void stub_destroy(void *self) { free(self); }
STUB_FN int stub_activate(void *self, double sr, uint32_t max_frames)
{
    (void)self;
    (void)sr;
    (void)max_frames;
    return 0;
}
STUB_FN void stub_deactivate(void *self) { (void)self; }
STUB_FN void stub_process(void *self, const gbp_process_t *proc) GBP_RT
{
    (void)self;
    (void)proc;
}
STUB_FN void stub_set_param(void *self, uint32_t id, float v)
{
    (void)self;
    (void)id;
    (void)v;
}
STUB_FN float stub_get_param(void *self, uint32_t id) GBP_RT
{
    (void)self;
    (void)id;
    return 0.0f;
}

#define STUB_DESCRIPTOR(ID)                                                                    \
    {                                                                                          \
        .abi_version = GBP_ABI_VERSION, .struct_size = sizeof(gbp_descriptor_t), .id = (ID),   \
        .name = "stub", .vendor = "gbac tests", .version = "0", .description = "test stub",    \
        .kind = GBP_KIND_EFFECT, .n_params = 1, .params = stub_params, .create = stub_create,  \
        .destroy = stub_destroy, .activate = stub_activate, .deactivate = stub_deactivate,     \
        .process = stub_process, .set_param = stub_set_param, .get_param = stub_get_param,     \
    }

/* Every plugin defines the entry point (or, in no_entry.c, fails to). */
const gbp_descriptor_t *gbac_plugin_entry(uint32_t index);

#endif
