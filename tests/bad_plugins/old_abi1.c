/* old_abi1.c — a complete, working plugin built against gbac's plugin ABI 1 (the descriptor
 * layout before extensions: no flags, no get_extension). gbac speaks ABI 2 and must refuse it
 * by its version, naming both versions, without reading past the version.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The ABI-1 layout is copied here (the header has moved on), so this file is what an old
 * plugin's object code looks like to the host. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ABI1_VERSION 1u

typedef struct abi1_param_info {
    uint32_t id;
    const char *name, *unit;
    float min, max, def, smoothing_ms;
    uint32_t flags;
    const char *doc;
} abi1_param_info_t;

typedef struct abi1_host {
    uint32_t abi_version;
    void *host_data;
    void (*log)(const struct abi1_host *host, int level, const char *msg);
    uint32_t seed;
} abi1_host_t;

typedef struct abi1_descriptor abi1_descriptor_t;
struct abi1_descriptor {
    uint32_t abi_version, struct_size;
    const char *id, *name, *vendor, *version, *description;
    int kind;
    uint32_t n_params;
    const abi1_param_info_t *params;
    void *(*create)(const abi1_descriptor_t *desc, const abi1_host_t *host);
    void (*destroy)(void *self);
    int (*activate)(void *self, double sample_rate, uint32_t max_frames);
    void (*deactivate)(void *self);
    void (*reset)(void *self);
    void (*process)(void *self, const void *proc);
    void (*set_param)(void *self, uint32_t id, float value);
    float (*get_param)(void *self, uint32_t id);
    int (*save_state)(void *self, char *buf, size_t cap);
    int (*load_state)(void *self, const char *json, char *err, size_t errcap);
};

static const abi1_param_info_t old_params[] = {
    {0, "level", "", 0.0f, 1.0f, 0.5f, 0.0f, 0, "output level"},
};

static void *old_create(const abi1_descriptor_t *d, const abi1_host_t *h)
{
    (void)d;
    (void)h;
    return calloc(1, sizeof(float));
}
static void old_destroy(void *self) { free(self); }
static int old_activate(void *self, double sr, uint32_t max_frames)
{
    (void)self;
    (void)sr;
    (void)max_frames;
    return 0;
}
static void old_deactivate(void *self) { (void)self; }
static void old_process(void *self, const void *proc)
{
    (void)self;
    (void)proc;
}
static void old_set_param(void *self, uint32_t id, float v)
{
    if (id == 0)
        *(float *)self = v;
}
static float old_get_param(void *self, uint32_t id) { return id == 0 ? *(float *)self : 0.0f; }

static const abi1_descriptor_t old_desc = {
    .abi_version = ABI1_VERSION, .struct_size = sizeof(abi1_descriptor_t),
    .id = "test.old-abi1", .name = "Old", .vendor = "gbac tests", .version = "1",
    .description = "a plugin from before ABI 2", .kind = 3 /* effect */, .n_params = 1,
    .params = old_params, .create = old_create, .destroy = old_destroy,
    .activate = old_activate, .deactivate = old_deactivate, .process = old_process,
    .set_param = old_set_param, .get_param = old_get_param,
};

const void *gbac_plugin_entry(uint32_t index);
const void *gbac_plugin_entry(uint32_t index)
{
    return index == 0 ? &old_desc : NULL;
}
