/* gb_cli_opts.h — option parsing shared by the commands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef GB_CLI_OPTS_H
#define GB_CLI_OPTS_H

/** The value of option `name` at argv[*i] ("--name V" or "--name=V"), advancing *i past a
 *  separate value; NULL if argv[*i] is not that option. When the value is missing, *missing
 *  is set and argv[*i] itself is returned. [main] */
const char *gb_opt_value(int argc, char **argv, int *i, const char *name, int *missing);

#endif
