/* cmd_osc_schema.c — `gbac --dump-osc-schema [--preset P]`: print the OSC namespace of a
 * preset's engine as JSON, generated from the parameter registry (gb_osc_schema_json).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_share.h"
#include "gb_osc_server.h"
#include "gb_render.h"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gbac --dump-osc-schema [--preset P] [--plugin-dir DIR]...\n\n"
            "Print the OSC namespace of gbac (every path, its type tags, ranges, units and\n"
            "docs) as JSON on stdout, for the rack of preset P: a file, or the name of a\n"
            "shipped preset (default: default, i.e. presets/default.json). The same text,\n"
            "compact, is the reply to /gbac/schema. See docs/osc.md.\n\n"
            "Shipped presets are looked for in " GB_SHARE_WHERE ".\n\n"
            "Exit status: 0 on success, 1 if the preset cannot be loaded, 2 on a usage error.\n");
}

int gb_cmd_dump_osc_schema(int argc, char **argv)
{
    const char *preset = "default";
    const char *dirs[16];
    int n_dirs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return GB_EXIT_OK;
        } else if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc) {
            preset = argv[++i];
        } else if (strcmp(argv[i], "--plugin-dir") == 0 && i + 1 < argc) {
            if (n_dirs == 16) {
                fprintf(stderr, "gbac: at most 16 --plugin-dir options\n");
                return GB_EXIT_USAGE;
            }
            dirs[n_dirs++] = argv[++i];
        } else {
            fprintf(stderr, "gbac --dump-osc-schema: unknown or incomplete option '%s' (see "
                            "`gbac --dump-osc-schema --help`)\n", argv[i]);
            return GB_EXIT_USAGE;
        }
    }
    char path[4600], tried[8192];
    if (gb_share_preset(preset, path, sizeof path, tried, sizeof tried) < 0) {
        fprintf(stderr, "gbac: cannot find the shipped preset '%s' (looked in: %s); give "
                        "a file with --preset or set GBAC_DATA_DIR to the folder that "
                        "holds presets/\n", preset, tried);
        return GB_EXIT_FAIL;
    }
    gb_error_t err = {0};
    int rc = GB_EXIT_FAIL;
    gb_preset_t *p = NULL;
    gb_engine_t *e = NULL;
    char *text = NULL;
    gb_unit_registry_t *reg = gb_unit_registry_open(dirs, n_dirs, &err);
    if (!reg || !(p = gb_preset_load(path, reg, &err)) ||
        !(e = gb_engine_build(p, 48000.0, 256, 1, &err))) {
        fprintf(stderr, "gbac: %s\n", err.msg);
        goto done;
    }
    if (!(text = gb_osc_schema_json(e))) {
        fprintf(stderr, "gbac: out of memory building the OSC schema\n");
        goto done;
    }
    if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "gbac: cannot write the schema to stdout\n");
        goto done;
    }
    rc = GB_EXIT_OK;
done:
    free(text);
    gb_engine_free(e);
    gb_preset_free(p);
    gb_unit_registry_free(reg);
    return rc;
}
