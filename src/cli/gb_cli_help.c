/* gb_cli_help.c — `--help` from the command tables: usage lines, wrapped paragraphs, the
 * option list with defaults and ranges, a group's subcommands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gb_cli_opts.h"

#define WIDTH 79     /* help lines are at most this wide */
#define LABEL_MAX 30 /* option help texts start after the longest label, at most here */

static void add(char *buf, size_t cap, const char *fmt, const char *s)
{
    size_t n = strlen(buf);
    if (n < cap)
        snprintf(buf + n, cap - n, fmt, s);
}

void gb_cli_opt_label(const gb_opt_t *o, char *buf, size_t cap)
{
    if (o->short_name)
        snprintf(buf, cap, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(buf, cap, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

/* The usage form of one option: "-o OUT", "[--preset P]", "[--plugin-dir DIR]...". */
static void usage_item(const gb_opt_t *o, char *buf, size_t cap)
{
    const int req = (o->flags & GB_OPT_REQUIRED) != 0;
    char name[64];
    if (o->short_name)
        snprintf(name, sizeof name, "-%c", o->short_name);
    else
        snprintf(name, sizeof name, "--%s", o->name);
    snprintf(buf, cap, " %s%s%s%s%s%s", req ? "" : "[", name, o->arg ? " " : "",
             o->arg ? o->arg : "", req ? "" : "]", o->kind == GB_OPT_APPEND ? "..." : "");
}

void gb_cli_usage_line(const gb_cmd_t *cmd, char *buf, size_t cap)
{
    char item[160];
    int rest = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < cmd->n_opts; i++) {
        const gb_opt_t *o = &cmd->opts[i];
        if (!(o->flags & (GB_OPT_REQUIRED | GB_OPT_USAGE))) {
            rest = 1;
            continue;
        }
        usage_item(o, item, sizeof item);
        add(buf, cap, "%s", item);
    }
    if (rest)
        add(buf, cap, "%s", " [OPTIONS]");
    if (cmd->positional) {
        add(buf, cap, "%s", " ");
        add(buf, cap, "%s", cmd->positional);
    }
}

/* The default of o in the struct d, as text. */
static void default_text(const gb_opt_t *o, const void *d, char *buf, size_t cap)
{
    const void *f = d ? (const char *)d + o->off : NULL;
    snprintf(buf, cap, "?");
    if (!f)
        return;
    switch (o->kind) {
    case GB_OPT_INT:
    case GB_OPT_FLAG:
        snprintf(buf, cap, "%d", *(const int *)f);
        break;
    case GB_OPT_U32:
        snprintf(buf, cap, "%u", (unsigned)*(const uint32_t *)f);
        break;
    case GB_OPT_DOUBLE:
        snprintf(buf, cap, "%g", *(const double *)f);
        break;
    case GB_OPT_FLOAT:
        snprintf(buf, cap, "%g", (double)*(const float *)f);
        break;
    case GB_OPT_STRING:
        snprintf(buf, cap, "%s", *(const char *const *)f ? *(const char *const *)f : "none");
        break;
    case GB_OPT_CHOICE:
        for (int i = 0; o->choices[i].name; i++)
            if (o->choices[i].value == *(const int *)f)
                snprintf(buf, cap, "%s", o->choices[i].name);
        break;
    default:
        break;
    }
}

void gb_cli_opt_help(const gb_opt_t *o, const void *defaults, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (const char *s = o->help ? o->help : ""; *s && n + 1 < cap;) {
        char v[128];
        size_t skip = 0;
        if (strncmp(s, "{default}", 9) == 0) {
            default_text(o, defaults, v, sizeof v);
            skip = 9;
        } else if (strncmp(s, "{range}", 7) == 0) {
            snprintf(v, sizeof v, "%.10g..%.10g", o->lo, o->hi);
            skip = 7;
        } else if (strncmp(s, "{max}", 5) == 0) {
            snprintf(v, sizeof v, "%d", o->max);
            skip = 5;
        }
        if (skip) {
            snprintf(buf + n, cap - n, "%s", v);
            n = strlen(buf);
            s += skip;
        } else {
            buf[n++] = *s++;
            buf[n] = '\0';
        }
    }
}

/* Print text wrapped at WIDTH, every line from column `indent`; `col` columns of the first
 * line are printed already. */
static void wrap(FILE *f, const char *text, int indent, int col)
{
    int line_start = 1;
    for (const char *s = text; *s;) {
        while (*s == ' ')
            s++;
        const size_t w = strcspn(s, " ");
        if (!w)
            break;
        if (!line_start && col + 1 + (int)w > WIDTH) {
            fputc('\n', f);
            col = 0;
            line_start = 1;
        }
        if (!line_start) {
            fputc(' ', f);
            col++;
        } else if (col < indent) {
            col += fprintf(f, "%*s", indent - col, "");
        }
        fwrite(s, 1, w, f);
        col += (int)w;
        s += w;
        line_start = 0;
    }
    fputc('\n', f);
}

/* Paragraphs separated by blank lines; one starting with a space is printed as written. */
static void paragraphs(FILE *f, const char *text)
{
    const char *s = text;
    while (s && *s) {
        const char *end = strstr(s, "\n\n");
        size_t len = end ? (size_t)(end - s) : strlen(s);
        char *p = malloc(len + 1);
        if (!p)
            return;
        memcpy(p, s, len);
        p[len] = '\0';
        if (p[0] == ' ') {
            fprintf(f, "%s\n", p);
        } else {
            for (char *c = p; *c; c++)
                if (*c == '\n')
                    *c = ' ';
            wrap(f, p, 0, 0);
        }
        free(p);
        s = end ? end + 2 : NULL;
        if (s && *s)
            fputc('\n', f);
    }
}

static void options(const gb_cmd_t *cmd, FILE *f)
{
    static const gb_opt_t help_opt = {.name = "help", .short_name = 'h', .kind = GB_OPT_FLAG,
                                      .help = "show this help"};
    void *d = gb_cli_defaults(cmd);
    char label[160], help[2048];
    int col0 = 0;
    for (size_t i = 0; i <= cmd->n_opts; i++) { /* the help column: after the longest label */
        gb_cli_opt_label(i < cmd->n_opts ? &cmd->opts[i] : &help_opt, label, sizeof label);
        const int w = (int)strlen(label) + 4;
        col0 = w > col0 && w <= LABEL_MAX ? w : col0;
    }
    fprintf(f, "Options:\n");
    for (size_t i = 0; i <= cmd->n_opts; i++) {
        const gb_opt_t *o = i < cmd->n_opts ? &cmd->opts[i] : &help_opt;
        gb_cli_opt_label(o, label, sizeof label);
        gb_cli_opt_help(o, d, help, sizeof help);
        int col = fprintf(f, "  %s", label);
        if (col + 2 > col0) {
            fputc('\n', f);
            col = 0;
        }
        wrap(f, help, col0, col);
    }
    free(d);
}

static void group_help(const gb_cmd_t *cmd, const char *prog, FILE *f)
{
    char line[1024];
    if (cmd->usage) {
        fprintf(f, "Usage: %s\n", cmd->usage);
    } else {
        for (int i = 0; cmd->subs[i]; i++) {
            gb_cli_usage_line(cmd->subs[i], line, sizeof line);
            fprintf(f, "%s %s %s%s\n", i ? "      " : "Usage:", prog, cmd->subs[i]->name, line);
        }
        fprintf(f, "       %s --help\n", prog);
    }
    if (cmd->description) {
        fputc('\n', f);
        paragraphs(f, cmd->description);
    }
    fprintf(f, "\n%s:\n", cmd->usage ? "Commands" : "Subcommands");
    int w = 8;
    for (int i = 0; cmd->subs[i]; i++)
        w = (int)strlen(cmd->subs[i]->name) > w ? (int)strlen(cmd->subs[i]->name) : w;
    for (int i = 0; cmd->subs[i]; i++) {
        const int col = fprintf(f, "  %-*s", w, cmd->subs[i]->name);
        wrap(f, cmd->subs[i]->summary, w + 4, col);
    }
    fprintf(f, "\nRun `%s %s --help` for its options.\n", prog,
            cmd->usage ? "COMMAND" : "SUBCOMMAND");
    if (cmd->epilogue) {
        fputc('\n', f);
        paragraphs(f, cmd->epilogue);
    }
}

void gb_cli_help(const gb_cmd_t *cmd, const char *prog, FILE *f)
{
    char line[1024];
    if (cmd->subs) {
        group_help(cmd, prog, f);
        return;
    }
    if (cmd->usage) {
        fprintf(f, "Usage: %s\n", cmd->usage);
    } else {
        gb_cli_usage_line(cmd, line, sizeof line);
        fprintf(f, "Usage: %s%s\n       %s --help\n", prog, line, prog);
    }
    if (cmd->description) {
        fputc('\n', f);
        paragraphs(f, cmd->description);
    }
    fputc('\n', f);
    options(cmd, f);
    if (cmd->epilogue) {
        fputc('\n', f);
        paragraphs(f, cmd->epilogue);
    }
}
