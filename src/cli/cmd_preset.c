/* cmd_preset.c — `gbac preset check FILE...` and `gbac preset list`: validate presets and
 * describe the units (and their parameters) a preset can use.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_preset.h"
#include "gb_share.h"
#include "gb_unit_registry.h"

#define GB_MAX_PLUGIN_DIRS 16

/* Print s with control characters replaced, so a hostile file cannot drive the terminal. */
static void put_clean(FILE *f, const char *s, size_t max)
{
    size_t n = 0;
    for (; *s && n < max; s++, n++)
        fputc(((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s, f);
    if (*s)
        fputs("...", f);
}

/* The first line of a description. */
static void put_first_line(FILE *f, const char *s, size_t max)
{
    size_t n = strcspn(s, "\n");
    char buf[256];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    put_clean(f, buf, max);
}

/* ---------------------------------------------------------------- options */

typedef struct opts {
    const char *plugin_dirs[GB_MAX_PLUGIN_DIRS];
    int n_plugin_dirs;
    const char *preset_dir;
    int json;
} opts_t;

#define PLUGIN_DIR_OPT                                                                       \
    {.name = "plugin-dir", .arg = "DIR", .kind = GB_OPT_APPEND,                              \
     .off = offsetof(opts_t, plugin_dirs), .count_off = offsetof(opts_t, n_plugin_dirs),       \
     .max = GB_MAX_PLUGIN_DIRS, .flags = GB_OPT_USAGE,                                       \
     .help = "also load the plugins (*.so) in DIR; may be repeated (up to {max})"}

static const gb_opt_t check_opts[] = {PLUGIN_DIR_OPT};

static const gb_opt_t list_opts[] = {
    PLUGIN_DIR_OPT,
    {.name = "preset-dir", .arg = "DIR", .kind = GB_OPT_STRING,
     .off = offsetof(opts_t, preset_dir), .flags = GB_OPT_USAGE,
     .help = "folder `list` reads presets from (default: the shipped presets/ in gbac's data "
             "folder)"},
    {.name = "json", .kind = GB_OPT_FLAG, .off = offsetof(opts_t, json), .flags = GB_OPT_USAGE,
     .help = "print one JSON object: preset_dir, presets (file, name, description, or error) "
             "and units (id, kind, state, thread_safe_state, extensions, params with id, name, "
             "unit, min, max, default, smoothing_ms, stepped, no_smooth, read_only, doc)"},
};

/* Built-in units, then --plugin-dir folders, GBAC_PLUGIN_PATH, the installed folder. */
static gb_unit_registry_t *open_registry(const opts_t *o)
{
    gb_error_t err = {0};
    gb_unit_registry_t *reg =
        gb_unit_registry_open((const char *const *)o->plugin_dirs, o->n_plugin_dirs, &err);
    if (!reg)
        fprintf(stderr, "gbac: %s\n", err.msg);
    return reg;
}

/* ---------------------------------------------------------------- check */

static void print_unit(const char *role, const gb_preset_unit_t *u)
{
    if (u->n_params == 0 && !u->state_json) {
        printf("  %-12s %-10s %s\n", role, u->slot, u->desc->id);
        return;
    }
    printf("  %-12s %-10s %-22s", role, u->slot, u->desc->id);
    for (int i = 0; i < u->n_params; i++) {
        const gbp_param_info_t *pi = gb_unit_param_by_id(u->desc, u->params[i].id);
        printf("%s%s=%g", i ? ", " : " ", pi ? pi->name : "?", (double)u->params[i].value);
    }
    if (u->state_json)
        printf("%sstate: %zu bytes", u->n_params ? "; " : " ", strlen(u->state_json));
    putchar('\n');
}

static void print_summary(const char *file, const gb_preset_t *p)
{
    put_clean(stdout, file, 4096);
    fputs(": ok\n", stdout);
    printf("  %-12s ", "name");
    put_clean(stdout, p->name, 64);
    putchar('\n');
    if (p->description) {
        printf("  %-12s ", "description");
        put_first_line(stdout, p->description, 100);
        putchar('\n');
    }
    printf("  %-12s %g bpm, %d/%d, polyphony %d\n", "tempo", p->tempo_bpm, p->beats_per_bar,
           p->beat_unit, p->polyphony);
    for (int i = 0; i < p->n_sources; i++)
        print_unit("note source", &p->sources[i]);
    print_unit("instrument", &p->instrument);
    for (int i = 0; i < p->n_effects; i++)
        print_unit("effect", &p->effects[i]);
    for (int i = 0; i < p->n_ccmap; i++) {
        const gb_preset_ccmap_t *m = &p->ccmap[i];
        const gbp_param_info_t *pi = NULL;
        const gb_preset_unit_t *units[GB_PRESET_MAX_SOURCES + 1 + GB_PRESET_MAX_EFFECTS];
        int n = 0;
        for (int k = 0; k < p->n_sources; k++)
            units[n++] = &p->sources[k];
        units[n++] = &p->instrument;
        for (int k = 0; k < p->n_effects; k++)
            units[n++] = &p->effects[k];
        for (int k = 0; k < n; k++)
            if (strcmp(units[k]->slot, m->slot) == 0)
                pi = gb_unit_param_by_id(units[k]->desc, m->param);
        char chan[16] = "any channel";
        if (m->channel != 255)
            snprintf(chan, sizeof chan, "channel %d", m->channel + 1);
        printf("  %-12s cc%d (%s) -> %s/%s %g..%g\n", "midi_map", m->cc, chan, m->slot,
               pi ? pi->name : "?", (double)m->min, (double)m->max);
    }
}

/* The preset loader calls no unit code; here each unit with a "state" gets an instance that
 * parses it, so `check` catches bad timbre frames before a performance does. */
static int check_state(const char *file, const char *path, const gb_preset_unit_t *u)
{
    if (!u->state_json)
        return 0;
    void *self = u->desc->create(u->desc, gb_unit_lone_host());
    if (!self) {
        fprintf(stderr, "gbac: %s: %s: %s could not create an instance to check the state\n",
                file, path, u->desc->id);
        return -1;
    }
    char msg[512] = "";
    int rc = u->desc->load_state(self, u->state_json, msg, sizeof msg);
    u->desc->destroy(self);
    if (rc < 0) {
        /* Units name the place inside their state ("state.timbre: frames[1]..."): hang it
         * under the unit's path in the preset. */
        const char *m = msg[0] ? msg : "rejected by the unit (no message)";
        if (strncmp(m, "state", 5) == 0 && (m[5] == '.' || m[5] == ':'))
            fprintf(stderr, "gbac: %s: %s.", file, path);
        else
            fprintf(stderr, "gbac: %s: %s.state: ", file, path);
        put_clean(stderr, m, sizeof msg);
        fputc('\n', stderr);
        return -1;
    }
    return 0;
}

static int check_states(const char *file, const gb_preset_t *p)
{
    char path[64];
    int bad = 0;
    for (int i = 0; i < p->n_sources; i++) {
        snprintf(path, sizeof path, "rack.note_sources[%d]", i);
        bad |= check_state(file, path, &p->sources[i]);
    }
    bad |= check_state(file, "rack.instrument", &p->instrument);
    for (int i = 0; i < p->n_effects; i++) {
        snprintf(path, sizeof path, "rack.effects[%d]", i);
        bad |= check_state(file, path, &p->effects[i]);
    }
    return bad;
}

static int check_run(void *args, const gb_cli_call_t *call)
{
    const opts_t *o = args;
    gb_unit_registry_t *reg = open_registry(o);
    if (!reg)
        return GB_EXIT_FAIL;
    int failed = 0;
    for (int i = 0; i < call->n_pos; i++) {
        const char *file = call->pos[i];
        gb_error_t err = {0};
        gb_preset_t *p = gb_preset_load(file, reg, &err);
        if (!p) {
            fputs("gbac: ", stderr);
            put_clean(stderr, err.msg, sizeof err.msg);
            fputc('\n', stderr);
            failed = 1;
            continue;
        }
        if (check_states(file, p) != 0)
            failed = 1;
        else
            print_summary(file, p);
        gb_preset_free(p);
    }
    gb_unit_registry_free(reg);
    return failed ? GB_EXIT_FAIL : GB_EXIT_OK;
}

/* ---------------------------------------------------------------- list */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The preset folder: dir, or the shipped presets/ (NULL, said on stderr with the folders
 * looked in, when there are none). */
static const char *preset_folder(const char *dir, char *buf, size_t cap)
{
    char data[4096], tried[8192];
    if (dir)
        return dir;
    if (gb_share_dir("presets", data, sizeof data, tried, sizeof tried) < 0) {
        fprintf(stderr, "gbac: preset list: no shipped presets/ found (looked in: %s); "
                        "give a folder with --preset-dir DIR or set GBAC_DATA_DIR\n", tried);
        return NULL;
    }
    snprintf(buf, cap, "%s/presets", data);
    return buf;
}

/* The *.json files of dir, sorted (free_names() them); NULL, said on stderr, when dir cannot
 * be read. */
static char **preset_names(const char *dir, size_t *n_out)
{
    *n_out = 0;
    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "gbac: preset list: %s: cannot open the folder: %s\n", dir,
                strerror(errno));
        return NULL;
    }
    char **names = calloc(1, sizeof *names);
    size_t n = 0;
    struct dirent *e;
    while (names && (e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char **nn = realloc(names, (n + 1) * sizeof *names);
        if (!nn)
            break;
        names = nn;
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(dp);
    if (names && n)
        qsort(names, n, sizeof *names, cmp_str);
    *n_out = n;
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The presets in dir (default: the shipped ones). Returns 0, or -1 if there is no such
 * folder (said on stderr, with the folders looked in). */
static int list_presets(const char *dir_opt, const gb_unit_registry_t *reg)
{
    char shipped[4200];
    const char *dir = preset_folder(dir_opt, shipped, sizeof shipped);
    size_t n = 0;
    char **names = dir ? preset_names(dir, &n) : NULL;
    if (!names)
        return -1;
    printf("Presets in %s/:\n", dir);
    if (n == 0)
        printf("  (none)\n");
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path)
            continue;
        gb_error_t err = {0};
        gb_preset_t *p = gb_preset_load(path, reg, &err);
        fputs("  ", stdout);
        put_clean(stdout, names[i], 60);
        if (p) {
            printf("%*s", (int)(24 > strlen(names[i]) ? 24 - strlen(names[i]) : 1), "");
            put_first_line(stdout, p->description ? p->description : p->name, 90);
        } else {
            fputs("  INVALID: ", stdout);
            put_clean(stdout, err.msg, sizeof err.msg);
        }
        putchar('\n');
        gb_preset_free(p);
    }
    free_names(names, n);
    putchar('\n');
    return 0;
}

/* `list --json`: the same as one JSON object (jansson escapes what the files hold); the
 * units are listed even when the presets are not found ("presets": null). */
static int list_json(const char *dir_opt, const gb_unit_registry_t *reg)
{
    char shipped[4200];
    const char *dir = preset_folder(dir_opt, shipped, sizeof shipped);
    size_t n = 0;
    char **names = dir ? preset_names(dir, &n) : NULL;
    json_t *presets = names ? json_array() : json_null();
    for (size_t i = 0; names && presets && i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        gb_error_t err = {0};
        gb_preset_t *p = gb_preset_load(path, reg, &err);
        json_array_append_new(presets,
                              p ? json_pack("{s:s, s:s, s:s}", "file", names[i], "name",
                                            p->name, "description",
                                            p->description ? p->description : "")
                                : json_pack("{s:s, s:s}", "file", names[i], "error", err.msg));
        gb_preset_free(p);
    }
    free_names(names, n);
    json_t *root = json_pack("{s:s?, s:o, s:o}", "preset_dir", dir, "presets", presets,
                             "units", gb_unit_registry_describe(reg));
    /* 7 significant digits: what a float holds, so 0.7f prints as 0.7 */
    char *txt = root ? json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(7)) : NULL;
    json_decref(root);
    if (!txt) {
        fprintf(stderr, "gbac: preset list: out of memory\n");
        return GB_EXIT_FAIL;
    }
    puts(txt);
    free(txt);
    return names ? GB_EXIT_OK : GB_EXIT_FAIL;
}

static void list_units(const gb_unit_registry_t *reg)
{
    printf("Units (%d):\n", gb_unit_registry_count(reg));
    for (int i = 0; i < gb_unit_registry_count(reg); i++) {
        const gbp_descriptor_t *d = gb_unit_registry_get(reg, i);
        printf("\n  %s  (%s", d->id, gb_unit_kind_name(d->kind));
        if (d->name) {
            fputs(", ", stdout);
            put_clean(stdout, d->name, 60);
        }
        if (d->version) {
            fputs(" ", stdout);
            put_clean(stdout, d->version, 20);
        }
        if (d->vendor) {
            fputs(", ", stdout);
            put_clean(stdout, d->vendor, 40);
        }
        fputs(")\n", stdout);
        if (d->description) {
            fputs("    ", stdout);
            put_first_line(stdout, d->description, 200);
            putchar('\n');
        }
        if (d->n_params == 0)
            printf("    (no parameters)\n");
        else
            printf("    %-20s %-22s %-10s %s\n", "parameter", "range", "default", "description");
        for (uint32_t k = 0; k < d->n_params; k++) {
            const gbp_param_info_t *pi = &d->params[k];
            char range[64], def[32];
            const char *unit = pi->unit ? pi->unit : "";
            snprintf(range, sizeof range, "%g..%g%s%s", (double)pi->min, (double)pi->max,
                     unit[0] ? " " : "", unit);
            snprintf(def, sizeof def, "%g", (double)pi->def);
            printf("    %-20s %-22s %-10s ", pi->name, range, def);
            if (pi->doc)
                put_clean(stdout, pi->doc, 200);
            if (pi->flags & GBP_PARAM_STEPPED)
                fputs(" [whole numbers]", stdout);
            if (pi->flags & GBP_PARAM_READONLY)
                fputs(" [read-only]", stdout);
            putchar('\n');
        }
    }
}

static int list_run(void *args, const gb_cli_call_t *call)
{
    const opts_t *o = args;
    (void)call;
    gb_unit_registry_t *reg = open_registry(o);
    if (!reg)
        return GB_EXIT_FAIL;
    /* The units are listed even when the presets are not found. */
    int rc;
    if (o->json) {
        rc = list_json(o->preset_dir, reg);
    } else {
        rc = list_presets(o->preset_dir, reg) < 0 ? GB_EXIT_FAIL : GB_EXIT_OK;
        list_units(reg);
    }
    gb_unit_registry_free(reg);
    return rc;
}

static const gb_cmd_t preset_check = {
    .name = "check",
    .summary = "load each preset strictly (unknown keys, values out of range, unknown units, "
               "bad MIDI mappings are errors), let each unit check its \"state\", and print a "
               "summary of the rack",
    .positional = "FILE...",
    .min_pos = 1,
    .max_pos = -1,
    .description = "Validate preset files (docs/preset-format.md): load each strictly, let "
                   "each unit check its \"state\", and print a summary of the rack. A bad "
                   "file does not stop the others from being checked.",
    .epilogue = "Environment: GBAC_PLUGIN_PATH=DIR:DIR... more plugin folders (missing ones "
                "are skipped); then the installed plugin folder (../lib/gbac/plugins next to "
                "the executable's folder) if it exists. Plugins load from these folders only."
                "\n\n"
                "Exit status: 0 if every file is valid, 1 if one is not (each error is printed "
                "on stderr as \"gbac: FILE:LINE:COL: what\" or \"gbac: FILE: key.path: "
                "what\"), 2 on a usage error.",
    GB_CLI_LEAF(check_opts, opts_t, NULL, check_run),
};

static const gb_cmd_t preset_list = {
    .name = "list",
    .summary = "list the presets in the preset folder, then every unit with its parameters "
               "(name, range, default, unit, description); --json for scripts",
    .description = "List the presets in the preset folder (each with its description, or "
                   "INVALID and why), then every unit (built-in and plugins) with its "
                   "parameters: name, range, default, unit and description. With --json, one "
                   "JSON object that also says which extensions (gbac_plugin.h) each unit "
                   "offers; docs/units.md's tables are tested against it.",
    .epilogue = "The data folder is looked for in " GB_SHARE_WHERE ".\n\n"
                "Environment: GBAC_PLUGIN_PATH=DIR:DIR... more plugin folders; then the installed "
                "plugin folder (../lib/gbac/plugins next to the executable's folder) if it "
                "exists.\n\n"
                "Exit status: 0 on success, 1 if a plugin folder is bad or the presets are not "
                "found, 2 on a usage error.",
    GB_CLI_LEAF(list_opts, opts_t, NULL, list_run),
};

const gb_cmd_t gb_cli_preset = {
    .name = "preset",
    .summary = "check presets, list units: `preset check FILE...`, `preset list`",
    .description = "Validate preset files and describe the units they can use. The format is "
                   "described in docs/preset-format.md.",
    GB_CLI_SUBS(&preset_check, &preset_list),
};

GB_CLI_ENTRY(gb_cmd_preset, gb_cli_preset)
