/* cmd_osc_schema.c — `gbac --dump-osc-schema [--preset P]`: print the OSC namespace of a
 * preset's engine as JSON, generated from the parameter registry (gb_osc_schema_json).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_osc_server.h"
#include "gb_render.h"
#include "gb_share.h"

#define MAX_PLUGIN_DIRS 16

typedef struct schema_args {
    const char *preset;
    const char *plugin_dirs[MAX_PLUGIN_DIRS];
    int n_plugin_dirs;
} schema_args_t;

static void schema_init(void *p)
{
    ((schema_args_t *)p)->preset = "default";
}

#define A(f) offsetof(schema_args_t, f)
static const gb_opt_t schema_opts[] = {
    {.name = "preset", .arg = "P", .kind = GB_OPT_STRING, .off = A(preset),
     .flags = GB_OPT_USAGE,
     .help = "a preset file, or the name of a shipped preset (default: {default}, i.e. "
             "presets/default.json)"},
    {.name = "plugin-dir", .arg = "DIR", .kind = GB_OPT_APPEND, .off = A(plugin_dirs),
     .count_off = A(n_plugin_dirs), .max = MAX_PLUGIN_DIRS, .flags = GB_OPT_USAGE,
     .help = "also load the plugins (*.so) in DIR; may be repeated (up to {max})"},
};
#undef A

/* The preset's file: as given, or a shipped preset's. 0, or -1 with the message printed. */
static int preset_file(const char *preset, char *path, size_t cap)
{
    char tried[8192];
    if (gb_share_preset(preset, path, cap, tried, sizeof tried) == 0)
        return 0;
    fprintf(stderr, "gbac: cannot find the shipped preset '%s' (looked in: %s); give a file "
                    "with --preset or set GBAC_DATA_DIR to the folder that holds presets/\n",
            preset, tried);
    return -1;
}

static int schema_run(void *p, const gb_cli_call_t *call)
{
    const schema_args_t *a = p;
    char path[4600];
    (void)call;
    if (preset_file(a->preset, path, sizeof path) < 0)
        return GB_EXIT_FAIL;
    gb_error_t err = {0};
    int rc = GB_EXIT_FAIL;
    gb_preset_t *pr = NULL;
    gb_engine_t *e = NULL;
    char *text = NULL;
    gb_unit_registry_t *reg = gb_unit_registry_open(a->plugin_dirs, a->n_plugin_dirs, &err);
    if (!reg || !(pr = gb_preset_load(path, reg, &err)) ||
        !(e = gb_engine_build(pr, 48000.0, 256, 1, &err)))
        fprintf(stderr, "gbac: %s\n", err.msg);
    else if (!(text = gb_osc_schema_json(e)))
        fprintf(stderr, "gbac: out of memory building the OSC schema\n");
    else if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
        fprintf(stderr, "gbac: cannot write the schema to stdout\n");
    else
        rc = GB_EXIT_OK;
    free(text);
    gb_engine_free(e);
    gb_preset_free(pr);
    gb_unit_registry_free(reg);
    return rc;
}

const gb_cmd_t gb_cli_dump_osc_schema = {
    .name = "--dump-osc-schema",
    .summary = "the OSC namespace as JSON, generated from the parameter registry",
    .description =
        "Print the OSC namespace of gbac (every path, its type tags, ranges, units and docs) "
        "as JSON on stdout, for the rack of preset P. The same text, compact, is the reply to "
        "/gbac/schema. See docs/osc.md.\n\n"
        "Shipped presets are looked for in " GB_SHARE_WHERE ".",
    .epilogue = "Exit status: 0 on success, 1 if the preset cannot be loaded, 2 on a usage "
                "error.",
    GB_CLI_LEAF(schema_opts, schema_args_t, schema_init, schema_run),
};

GB_CLI_ENTRY(gb_cmd_dump_osc_schema, gb_cli_dump_osc_schema)
