/* gb_cli_opts.c — the command tables' parser: subcommand dispatch, getopt_long, value checks.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* getopt_long */
#include "gb_cli_opts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OPT_VAL_BASE 256 /* getopt_long's value of option i: OPT_VAL_BASE + i */

int gb_parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int gb_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_u32(const char *s, double lo, double hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-' || (double)v < lo || (double)v > hi)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int gb_cli_usage_error(const gb_cli_call_t *call, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", call->prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see `%s --help`)\n", call->prog);
    return GB_EXIT_USAGE;
}

int gb_cli_given(const gb_cli_call_t *call, const char *name)
{
    for (size_t i = 0; i < call->cmd->n_opts; i++)
        if (strcmp(call->cmd->opts[i].name, name) == 0)
            return call->given[i];
    return 0;
}

void *gb_cli_defaults(const gb_cmd_t *cmd)
{
    void *a = calloc(1, cmd->args_size ? cmd->args_size : 1);
    if (a && cmd->init)
        cmd->init(a);
    return a;
}

/* ---------------------------------------------------------------- values */

/* What a good value of o is: "a whole number in 1..4096", "wav or flac". */
static void expected(const gb_opt_t *o, char *buf, size_t cap)
{
    const char *what = o->what;
    size_t n;
    switch (o->kind) {
    case GB_OPT_INT:
    case GB_OPT_U32:
    case GB_OPT_DOUBLE:
    case GB_OPT_FLOAT:
        if (!what)
            what = o->kind == GB_OPT_INT || o->kind == GB_OPT_U32 ? "a whole number" : "a number";
        if (o->hi >= 2147483647.0 && o->kind != GB_OPT_U32)
            snprintf(buf, cap, "%s >= %g", what, o->lo);
        else
            snprintf(buf, cap, "%s in %.10g..%.10g", what, o->lo, o->hi);
        return;
    case GB_OPT_CHOICE:
        buf[0] = '\0';
        for (int i = 0; o->choices[i].name; i++) {
            n = strlen(buf);
            const char *sep = i == 0 ? "" : o->choices[i + 1].name ? ", " : " or ";
            snprintf(buf + n, cap - n, "%s%s", sep, o->choices[i].name);
        }
        return;
    default:
        snprintf(buf, cap, "%s", what ? what : "a value");
        return;
    }
}

/* Store value v of option o into args; 0, or -1 for a bad value. */
static int store(const gb_opt_t *o, const char *v, void *args)
{
    void *field = (char *)args + o->off;
    double d;
    if (v && !*v && (o->flags & GB_OPT_NONEMPTY))
        return -1;
    switch (o->kind) {
    case GB_OPT_FLAG:
        *(int *)field = o->set ? o->set : 1;
        return 0;
    case GB_OPT_STRING:
        *(const char **)field = v;
        return 0;
    case GB_OPT_INT:
        return gb_parse_int(v, (long)o->lo, (long)o->hi, (int *)field);
    case GB_OPT_U32:
        return parse_u32(v, o->lo, o->hi, (uint32_t *)field);
    case GB_OPT_DOUBLE:
        return gb_parse_double(v, o->lo, o->hi, (double *)field);
    case GB_OPT_FLOAT:
        if (gb_parse_double(v, o->lo, o->hi, &d) < 0)
            return -1;
        *(float *)field = (float)d;
        return 0;
    case GB_OPT_CHOICE:
        for (int i = 0; o->choices[i].name; i++)
            if (strcmp(v, o->choices[i].name) == 0) {
                *(int *)field = o->choices[i].value;
                return 0;
            }
        return -1;
    case GB_OPT_APPEND: { /* the count is checked by the caller */
        int *count = (int *)((char *)args + o->count_off);
        ((const char **)field)[(*count)++] = v;
        return 0;
    }
    case GB_OPT_CUSTOM:
        return o->parse(v, field);
    }
    return -1;
}

/* ---------------------------------------------------------------- parsing */

typedef struct parser {
    char **pos; /* the positional arguments, in order */
    int n_pos;
    const gb_cmd_t *cmd;
    const char *prog;
    void *args;
    unsigned char *given;
    struct option *longopts;
    char shorts[128];
} parser_t;

static int build_options(parser_t *p)
{
    const gb_cmd_t *c = p->cmd;
    p->longopts = calloc(c->n_opts + 2, sizeof *p->longopts);
    if (!p->longopts)
        return -1;
    size_t n = 0;
    p->shorts[n++] = '-'; /* arguments in order, as value 1, whatever POSIXLY_CORRECT says */
    p->shorts[n++] = ':'; /* a missing value returns ':' */
    p->shorts[n++] = 'h';
    for (size_t i = 0; i < c->n_opts; i++) {
        const gb_opt_t *o = &c->opts[i];
        const int has_arg = o->kind == GB_OPT_FLAG ? no_argument : required_argument;
        p->longopts[i] = (struct option){o->name, has_arg, NULL, OPT_VAL_BASE + (int)i};
        if (o->short_name && n + 3 < sizeof p->shorts) {
            p->shorts[n++] = o->short_name;
            if (has_arg == required_argument)
                p->shorts[n++] = ':';
        }
    }
    p->shorts[n] = '\0';
    p->longopts[c->n_opts] = (struct option){"help", no_argument, NULL, 'h'};
    return 0;
}

/* The option getopt_long returned as c (a short name or OPT_VAL_BASE + index), or -1. */
static int option_index(const gb_cmd_t *c, int v)
{
    if (v >= OPT_VAL_BASE && v < OPT_VAL_BASE + (int)c->n_opts)
        return v - OPT_VAL_BASE;
    for (size_t i = 0; v > 0 && i < c->n_opts; i++)
        if (c->opts[i].short_name == v)
            return (int)i;
    return -1;
}

/* The option as typed: "-o" or "--output" (argument "typed" is argv[optind - 1]). */
static void typed_name(const gb_opt_t *o, int v, const char *typed, char *buf, size_t cap)
{
    if (v < OPT_VAL_BASE && o->short_name)
        snprintf(buf, cap, "-%c", o->short_name);
    else if (typed && typed[0] == '-' && typed[1] == '-')
        snprintf(buf, cap, "%.*s", (int)strcspn(typed, "="), typed);
    else
        snprintf(buf, cap, "--%s", o->name);
}

static int unknown_option(const parser_t *p, const gb_cli_call_t *call, char **av)
{
    const int i = option_index(p->cmd, optopt);
    const char *typed = av[optind - 1];
    if (i >= 0 && p->cmd->opts[i].kind == GB_OPT_FLAG)
        return gb_cli_usage_error(call, "--%s takes no value", p->cmd->opts[i].name);
    if (optopt > 0 && optopt < OPT_VAL_BASE)
        return gb_cli_usage_error(call, "unknown option '-%c'", optopt);
    return gb_cli_usage_error(call, "unknown option '%.*s'", (int)strcspn(typed, "="), typed);
}

/* One option getopt_long returned: store its value. 0, or an exit status. */
static int take(parser_t *p, const gb_cli_call_t *call, int c, char **av)
{
    const int i = option_index(p->cmd, c);
    const gb_opt_t *o = &p->cmd->opts[i];
    char name[96], want[256];
    typed_name(o, c, av[optind - 1], name, sizeof name);
    if (o->kind == GB_OPT_APPEND && *(int *)((char *)p->args + o->count_off) >= o->max)
        return gb_cli_usage_error(call, "at most %d %s", o->max, name);
    if (store(o, optarg, p->args) < 0) {
        expected(o, want, sizeof want);
        return gb_cli_usage_error(call, "bad value '%s' for %s: expected %s", optarg, name,
                                  want);
    }
    p->given[i] = 1;
    return 0;
}

/* getopt_long over av[0..n): 0 with the positional arguments in p->pos, -1 after --help, or
 * an exit status. */
static int parse_options(parser_t *p, const gb_cli_call_t *call, int n, char **av)
{
    char name[96], want[256];
    opterr = 0;
    optind = 0; /* glibc: start over (commands may run more than once in a process) */
    for (;;) {
        int li = -1;
        const int c = getopt_long(n, av, p->shorts, p->longopts, &li);
        if (c == -1) { /* the end, or "--": what follows it is positional */
            while (optind < n)
                p->pos[p->n_pos++] = av[optind++];
            return 0;
        }
        if (c == 1) {
            p->pos[p->n_pos++] = optarg;
            continue;
        }
        if (c == 'h') {
            gb_cli_help(p->cmd, p->prog, stdout);
            return -1;
        }
        if (c == ':') {
            const int i = option_index(p->cmd, optopt);
            if (i < 0)
                return gb_cli_usage_error(call, "an option needs a value");
            typed_name(&p->cmd->opts[i], optopt, av[optind - 1], name, sizeof name);
            expected(&p->cmd->opts[i], want, sizeof want);
            fprintf(stderr, "%s: %s needs %s (see `%s --help`)\n", p->prog, name, want,
                    p->prog);
            return GB_EXIT_USAGE;
        }
        if (c == '?')
            return unknown_option(p, call, av);
        int rc = take(p, call, c, av);
        if (rc)
            return rc;
    }
}

/* Positional count and required options. 0 or an exit status. */
static int check_call(const parser_t *p, const gb_cli_call_t *call)
{
    const gb_cmd_t *c = p->cmd;
    const char *what = c->positional ? c->positional : "argument";
    if (call->n_pos < c->min_pos)
        return gb_cli_usage_error(call, "missing %s", what);
    if (c->max_pos >= 0 && call->n_pos > c->max_pos) {
        if (c->max_pos == 0)
            return gb_cli_usage_error(call, "unexpected argument '%s'", call->pos[0]);
        return gb_cli_usage_error(call, "one %s only ('%s' and '%s')", what, call->pos[0],
                                  call->pos[1]);
    }
    char missing[512] = "";
    for (size_t i = 0; i < c->n_opts; i++) {
        const gb_opt_t *o = &c->opts[i];
        if (!(o->flags & GB_OPT_REQUIRED) || call->given[i])
            continue;
        size_t n = strlen(missing);
        if (o->short_name)
            snprintf(missing + n, sizeof missing - n, "%s-%c %s", n ? " and " : "",
                     o->short_name, o->arg ? o->arg : "");
        else
            snprintf(missing + n, sizeof missing - n, "%s--%s %s", n ? " and " : "", o->name,
                     o->arg ? o->arg : "");
    }
    if (missing[0])
        return gb_cli_usage_error(call, "missing %s", missing);
    return 0;
}

static char *join_command(const char *prog, int argc, char **argv)
{
    size_t n = strlen(prog) + 1;
    for (int i = 1; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    strcpy(s, prog);
    for (int i = 1; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static int run_leaf(const gb_cmd_t *cmd, const char *prog, int argc, char **argv)
{
    parser_t p = {.cmd = cmd, .prog = prog};
    gb_cli_call_t call = {.cmd = cmd, .prog = prog};
    char **av = malloc(sizeof *av * ((size_t)argc + 1));
    p.pos = malloc(sizeof *p.pos * ((size_t)argc + 1));
    char *line = join_command(prog, argc, argv);
    p.args = gb_cli_defaults(cmd);
    p.given = calloc(cmd->n_opts + 1, 1);
    int rc = GB_EXIT_FAIL;
    if (!av || !p.pos || !line || !p.args || !p.given || build_options(&p) < 0) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto done;
    }
    memcpy(av, argv, sizeof *av * (size_t)argc); /* getopt_long may reorder its array */
    av[argc] = NULL;
    call.given = p.given;
    call.command_line = line;
    rc = parse_options(&p, &call, argc, av);
    if (rc) {
        rc = rc < 0 ? GB_EXIT_OK : rc;
        goto done;
    }
    call.pos = p.pos;
    call.n_pos = p.n_pos;
    if ((rc = check_call(&p, &call)) == 0)
        rc = cmd->run(p.args, &call);
done:
    free(p.longopts);
    free(p.pos);
    free(p.given);
    free(p.args);
    free(line);
    free(av);
    return rc;
}

static void sub_names(const gb_cmd_t *cmd, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int i = 0; cmd->subs[i]; i++) {
        size_t n = strlen(buf);
        const char *sep = i == 0 ? "" : cmd->subs[i + 1] ? ", " : " or ";
        snprintf(buf + n, cap - n, "%s%s", sep, cmd->subs[i]->name);
    }
}

int gb_cli_run(const gb_cmd_t *cmd, const char *parent, int argc, char **argv)
{
    char prog[256], names[256];
    snprintf(prog, sizeof prog, "%s%s%s", parent ? parent : "", parent ? " " : "", cmd->name);
    if (!cmd->subs)
        return run_leaf(cmd, prog, argc, argv);
    gb_cli_call_t call = {.cmd = cmd, .prog = prog};
    sub_names(cmd, names, sizeof names);
    if (argc < 2) {
        if (parent)
            return gb_cli_usage_error(&call, "missing a subcommand: %s", names);
        return gb_cli_usage_error(&call, "missing a command");
    }
    const char *a = argv[1];
    if (!strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help")) {
        gb_cli_help(cmd, prog, stdout);
        return GB_EXIT_OK;
    }
    for (int i = 0; cmd->subs[i]; i++)
        if (strcmp(a, cmd->subs[i]->name) == 0)
            return gb_cli_run(cmd->subs[i], prog, argc - 1, argv + 1);
    if (!parent) /* the top level: its help lists the commands */
        return gb_cli_usage_error(&call, "unknown %s '%s'", a[0] == '-' ? "option" : "command",
                                  a);
    if (a[0] == '-')
        return gb_cli_usage_error(&call, "unknown option '%s' (a subcommand comes first: %s)",
                                  a, names);
    return gb_cli_usage_error(&call, "unknown subcommand '%s' (%s exist)", a, names);
}
