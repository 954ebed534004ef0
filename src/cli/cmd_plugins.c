/* cmd_plugins.c — `gbac plugins list [--json]` and `gbac plugins info ID|URI`: the units a
 * preset can name — built-ins, gbac-ABI plugins (*.so) and installed LV2 plugins.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_lv2.h"
#include "gb_unit_registry.h"

#define GB_MAX_PLUGIN_DIRS 16

typedef struct plugins_args {
    const char *plugin_dirs[GB_MAX_PLUGIN_DIRS];
    int n_plugin_dirs;
    int json;
} plugins_args_t;

#define A(f) offsetof(plugins_args_t, f)
static const gb_opt_t plugins_opts[] = {
    {.name = "plugin-dir", .arg = "DIR", .kind = GB_OPT_APPEND, .off = A(plugin_dirs),
     .count_off = A(n_plugin_dirs), .max = GB_MAX_PLUGIN_DIRS,
     .help = "also load the gbac plugins (*.so) in DIR; may be repeated (up to {max})"},
    {.name = "json", .kind = GB_OPT_FLAG, .off = A(json), .flags = GB_OPT_USAGE,
     .help = "print JSON for scripts"},
};
#undef A

static gb_unit_registry_t *open_registry(const plugins_args_t *a, const char *prog)
{
    gb_error_t err = {0};
    gb_unit_registry_t *reg = gb_unit_registry_open(a->plugin_dirs, a->n_plugin_dirs, &err);
    if (!reg)
        fprintf(stderr, "%s: %s\n", prog, err.msg);
    return reg;
}

static int print_json(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(7)) : NULL;
    if (s)
        puts(s);
    free(s);
    return s ? GB_EXIT_OK : GB_EXIT_FAIL;
}

/* Every unit as {id, name, kind, format, ports|params, [uri], [unsupported]}. */
static json_t *all_units(const gb_unit_registry_t *reg)
{
    json_t *a = json_array();
    for (int i = 0; i < gb_unit_registry_count(reg); i++) {
        const gbp_descriptor_t *d = gb_unit_registry_get(reg, i);
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", d->id, "name", d->name, "kind",
                         gb_unit_kind_name(d->kind), "format",
                         gb_unit_registry_origin(reg, i) ? "gbac" : "builtin", "params",
                         (int)d->n_params));
    }
    json_t *lv2 = gb_lv2_list();
    json_array_extend(a, lv2);
    json_decref(lv2);
    return a;
}

static int list_run(void *p, const gb_cli_call_t *call)
{
    const plugins_args_t *a = p;
    gb_unit_registry_t *reg = open_registry(a, call->prog);
    if (!reg)
        return GB_EXIT_FAIL;
    json_t *all = all_units(reg);
    gb_unit_registry_free(reg);
    int rc = GB_EXIT_OK;
    if (a->json)
        rc = print_json(all);
    else {
        size_t i;
        json_t *o;
        json_array_foreach(all, i, o) {
            json_t *k = json_object_get(o, "kind"), *un = json_object_get(o, "unsupported");
            printf("%-7s  %-11s  %s  (%s)%s%s\n", json_string_value(json_object_get(o, "format")),
                   json_is_string(k) ? json_string_value(k) : "-",
                   json_string_value(json_object_get(o, "id")),
                   json_string_value(json_object_get(o, "name")), un ? "  — not hostable: " : "",
                   un ? json_string_value(un) : "");
        }
    }
    json_decref(all);
    return rc;
}

static void print_lv2_info(json_t *o)
{
    printf("%s\n  id: %s\n  kind: %s\n", json_string_value(json_object_get(o, "name")),
           json_string_value(json_object_get(o, "id")),
           json_is_string(json_object_get(o, "kind"))
               ? json_string_value(json_object_get(o, "kind"))
               : "(not hostable)");
    json_t *un = json_object_get(o, "unsupported");
    if (un)
        printf("  not hostable: %s\n", json_string_value(un));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "required_features"), i, v)
        printf("  requires: %s\n", json_string_value(v));
    json_array_foreach(json_object_get(o, "ports"), i, v) {
        printf("  port %2d %-3s %-7s %-20s %s", (int)json_integer_value(json_object_get(v, "index")),
               json_string_value(json_object_get(v, "direction")),
               json_string_value(json_object_get(v, "type")),
               json_string_value(json_object_get(v, "symbol")),
               json_string_value(json_object_get(v, "name")));
        if (json_object_get(v, "min"))
            printf("  %g..%g, default %g", json_number_value(json_object_get(v, "min")),
                   json_number_value(json_object_get(v, "max")),
                   json_number_value(json_object_get(v, "default")));
        printf("\n");
    }
    json_array_foreach(json_object_get(o, "presets"), i, v) {
        json_t *l = json_object_get(v, "label");
        printf("  preset: %s\n", l ? json_string_value(l) : json_string_value(json_object_get(v, "uri")));
    }
}

static int info_run(void *p, const gb_cli_call_t *call)
{
    const plugins_args_t *a = p;
    const char *id = call->pos[0];
    gb_unit_registry_t *reg = open_registry(a, call->prog);
    if (!reg)
        return GB_EXIT_FAIL;
    const gbp_descriptor_t *d = gb_lv2_is_id(id) ? NULL : gb_unit_registry_find(reg, id);
    json_t *j = NULL;
    gb_error_t err = {0};
    if (d)
        j = gb_unit_describe(d);
    else if (!(j = gb_lv2_info(id, &err)))
        fprintf(stderr, "%s: %s (not a unit id either)\n", call->prog, err.msg);
    gb_unit_registry_free(reg);
    if (!j)
        return GB_EXIT_FAIL;
    int rc = GB_EXIT_OK;
    if (a->json || d) /* a built-in or gbac plugin is described as `preset list --json` does */
        rc = print_json(j);
    else
        print_lv2_info(j);
    json_decref(j);
    return rc;
}

static const gb_cmd_t plugins_list = {
    .name = "list",
    .summary = "list the units a preset can name: built-ins, gbac plugins and LV2 plugins",
    .description = "List every unit a preset can name, one a line: format (builtin, gbac, "
                   "lv2), kind (effect, instrument, note source), id and name. An LV2 plugin "
                   "is named \"lv2:URI\" in a preset; one gbac cannot host says why. With "
                   "--json, an array of objects with id, uri (LV2), name, kind, format and "
                   "params (built-ins, gbac plugins) or ports (LV2).",
    .epilogue = "LV2 plugins are found in LV2_PATH (default: ~/.lv2, /usr/local/lib/lv2, "
                "/usr/lib/lv2).\n\nExit status: 0 on success, 1 if a plugin folder is bad, 2 "
                "on a usage error.",
    GB_CLI_LEAF(plugins_opts, plugins_args_t, NULL, list_run),
};

static const gb_cmd_t plugins_info = {
    .name = "info",
    .summary = "describe one unit: an LV2 plugin's ports, features and presets",
    .positional = "ID|URI",
    .min_pos = 1,
    .max_pos = 1,
    .description = "Describe one unit: an LV2 plugin (by URI or lv2:URI) with its ports "
                   "(symbol, direction, type, range, default), the features it requires and "
                   "its presets; a built-in or gbac plugin (by id) as JSON.",
    .epilogue = "Exit status: 0 on success, 1 if no such unit or plugin, 2 on a usage error.",
    GB_CLI_LEAF(plugins_opts, plugins_args_t, NULL, info_run),
};

const gb_cmd_t gb_cli_plugins = {
    .name = "plugins",
    .summary = "list and describe units and LV2 plugins: `plugins list`, `plugins info URI`",
    .description = "The units a preset's rack can hold: gbac's built-in units, gbac plugins "
                   "(*.so, gbac_plugin.h) and installed LV2 plugins (\"lv2:URI\").",
    GB_CLI_SUBS(&plugins_list, &plugins_info),
};
