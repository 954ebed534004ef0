/* gb_lv2p_ttl.c — writes the Turtle files of the bundle gbac.lv2 from the units' descriptors
 * and parameter tables (gb_lv2p_plugins.h): manifest.ttl and one NAME.ttl per plugin. Run at
 * build time: `gb_lv2p_ttl BUNDLE_DIR`. Nothing in the bundle's .ttl files is written by hand.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "gb_lv2p_plugins.h"

static const char prefixes[] =
    "@prefix atom:   <http://lv2plug.in/ns/ext/atom#> .\n"
    "@prefix bufsz:  <http://lv2plug.in/ns/ext/buf-size#> .\n"
    "@prefix doap:   <http://usefulinc.com/ns/doap#> .\n"
    "@prefix log:    <http://lv2plug.in/ns/ext/log#> .\n"
    "@prefix lv2:    <http://lv2plug.in/ns/lv2core#> .\n"
    "@prefix midi:   <http://lv2plug.in/ns/ext/midi#> .\n"
    "@prefix opts:   <http://lv2plug.in/ns/ext/options#> .\n"
    "@prefix pprops: <http://lv2plug.in/ns/ext/port-props#> .\n"
    "@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix state:  <http://lv2plug.in/ns/ext/state#> .\n"
    "@prefix time:   <http://lv2plug.in/ns/ext/time#> .\n"
    "@prefix units:  <http://lv2plug.in/ns/extensions/units#> .\n"
    "@prefix urid:   <http://lv2plug.in/ns/ext/urid#> .\n\n";

/* A Turtle string literal. */
static void str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

/* A decimal literal (a dot always, so it is an xsd:decimal or double, never an integer). */
static void num(FILE *f, float v)
{
    char b[64];
    snprintf(b, sizeof b, "%.9g", (double)v);
    fputs(b, f);
    if (!strpbrk(b, ".eEn"))
        fputs(".0", f);
}

/* The LV2 unit for gbac's unit text, or NULL. */
static const char *lv2_unit(const char *u)
{
    static const char *const map[][2] = {
        {"Hz", "units:hz"}, {"ms", "units:ms"},     {"s", "units:s"},
        {"dB", "units:db"}, {"%", "units:pc"},      {"cents", "units:cent"},
        {"semitones", "units:semitone12TET"},       {"bars", "units:bar"},
        {"beats", "units:beat"}, {"bpm", "units:bpm"},
    };
    for (size_t i = 0; u && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(u, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

/* "decay_ms" → "Decay ms" */
static void label(FILE *f, const char *name)
{
    char b[128];
    snprintf(b, sizeof b, "%s", name);
    for (char *p = b; *p; p++)
        if (*p == '_')
            *p = ' ';
    if (b[0] >= 'a' && b[0] <= 'z')
        b[0] = (char)(b[0] - 'a' + 'A');
    str(f, b);
}

static void param_port(FILE *f, uint32_t index, const gbp_param_info_t *p)
{
    const int ro = (p->flags & GBP_PARAM_READONLY) != 0;
    fprintf(f, " , [\n        a lv2:%s , lv2:ControlPort ;\n        lv2:index %u ;\n",
            ro ? "OutputPort" : "InputPort", index);
    fprintf(f, "        lv2:symbol ");
    str(f, p->name);
    fprintf(f, " ;\n        lv2:name ");
    label(f, p->name);
    fprintf(f, " ;\n        rdfs:comment ");
    str(f, p->doc);
    fprintf(f, " ;\n        lv2:default ");
    num(f, p->def);
    fprintf(f, " ;\n        lv2:minimum ");
    num(f, p->min);
    fprintf(f, " ;\n        lv2:maximum ");
    num(f, p->max);
    fprintf(f, " ;\n");
    if (p->flags & GBP_PARAM_STEPPED)
        fprintf(f, "        lv2:portProperty lv2:integer ;\n");
    if (ro)
        fprintf(f, "        lv2:portProperty pprops:notAutomatic ;\n");
    if (lv2_unit(p->unit))
        fprintf(f, "        units:unit %s ;\n", lv2_unit(p->unit));
    fprintf(f, "    ]");
}

static void fixed_ports(FILE *f, const gb_lv2p_layout_t *l)
{
    fprintf(f, "    lv2:port [\n        a lv2:InputPort , atom:AtomPort ;\n"
               "        atom:bufferType atom:Sequence ;\n"
               "        atom:supports midi:MidiEvent , time:Position ;\n"
               "        lv2:designation lv2:control ;\n"
               "        lv2:index %u ;\n        lv2:symbol \"events_in\" ;\n"
               "        lv2:name \"Events in\" ;\n    ]", l->events_in);
    if (l->events_out != GB_LV2P_NO_PORT)
        fprintf(f, " , [\n        a lv2:OutputPort , atom:AtomPort ;\n"
                   "        atom:bufferType atom:Sequence ;\n"
                   "        atom:supports midi:MidiEvent ;\n"
                   "        lv2:index %u ;\n        lv2:symbol \"events_out\" ;\n"
                   "        lv2:name \"Events out\" ;\n    ]", l->events_out);
    if (l->out_l != GB_LV2P_NO_PORT)
        fprintf(f, " , [\n        a lv2:OutputPort , lv2:AudioPort ;\n"
                   "        lv2:index %u ;\n        lv2:symbol \"out_l\" ;\n"
                   "        lv2:name \"Left\" ;\n    ] , [\n"
                   "        a lv2:OutputPort , lv2:AudioPort ;\n"
                   "        lv2:index %u ;\n        lv2:symbol \"out_r\" ;\n"
                   "        lv2:name \"Right\" ;\n    ]", l->out_l, l->out_r);
    fprintf(f, " , [\n        a lv2:OutputPort , lv2:ControlPort ;\n"
               "        lv2:index %u ;\n        lv2:symbol \"latency\" ;\n"
               "        lv2:name \"Latency\" ;\n"
               "        lv2:designation lv2:latency ;\n"
               "        lv2:portProperty lv2:reportsLatency , lv2:integer , pprops:notOnGUI ;\n"
               "        units:unit units:frame ;\n"
               "        lv2:minimum 0 ;\n        lv2:maximum 192000 ;\n    ]", l->latency);
}

static int plugin_ttl(const char *dir, const gb_lv2p_plugin_t *pl)
{
    const gbp_descriptor_t *d = pl->unit;
    const gb_lv2p_layout_t l = gb_lv2p_layout(d->kind);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, pl->ttl);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "gb_lv2p_ttl: cannot write %s\n", path);
        return -1;
    }
    fputs(prefixes, f);
    fprintf(f, "<%s>\n    a lv2:Plugin , lv2:%s ;\n    doap:name ", pl->uri,
            d->kind == GBP_KIND_NOTE_SOURCE ? "MIDIPlugin" : "InstrumentPlugin");
    char name[256];
    snprintf(name, sizeof name, "gbac %s", d->name);
    str(f, name);
    fprintf(f, " ;\n    doap:license <https://spdx.org/licenses/GPL-3.0-or-later> ;\n"
               "    rdfs:comment ");
    str(f, d->description);
    fprintf(f, " ;\n    lv2:requiredFeature urid:map ;\n"
               "    lv2:optionalFeature lv2:hardRTCapable , opts:options , log:log%s ;\n"
               "    opts:supportedOption bufsz:maxBlockLength ;\n"
               "    lv2:extensionData state:interface ;\n",
            (d->flags & GBP_UNIT_THREAD_SAFE_STATE) ? " , state:threadSafeRestore" : "");
    fixed_ports(f, &l);
    for (uint32_t i = 0; i < d->n_params; i++)
        param_port(f, l.first_param + i, &d->params[i]);
    fprintf(f, " .\n");
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gb_lv2p_ttl BUNDLE_DIR\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.ttl", argv[1]);
    FILE *m = fopen(path, "w");
    if (!m) {
        fprintf(stderr, "gb_lv2p_ttl: cannot write %s\n", path);
        return 1;
    }
    fputs("@prefix lv2:  <http://lv2plug.in/ns/lv2core#> .\n"
          "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n", m);
    int rc = 0;
    const gb_lv2p_plugin_t *pl;
    for (uint32_t i = 0; (pl = gb_lv2p_plugin(i)) != NULL; i++) {
        const gbp_descriptor_t *d = pl->unit;
        for (uint32_t k = 0; k < d->n_params; k++) {
            if (!gb_lv2p_symbol_ok(d->params[k].name)) {
                fprintf(stderr, "gb_lv2p_ttl: %s: parameter '%s' is not a usable LV2 symbol\n",
                        d->id, d->params[k].name);
                rc = 1;
            }
        }
        fprintf(m, "<%s>\n    a lv2:Plugin ;\n    lv2:binary <%s> ;\n    rdfs:seeAlso <%s> .\n\n",
                pl->uri, GB_LV2P_BINARY, pl->ttl);
        if (plugin_ttl(argv[1], pl) < 0)
            rc = 1;
    }
    if (fclose(m) != 0)
        rc = 1;
    return rc;
}
