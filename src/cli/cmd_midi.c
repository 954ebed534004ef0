/* cmd_midi.c — `gbac midi list`: the MIDI input devices PortMidi sees.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "gb_cli.h"
#include "gb_pmidi.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: gbac midi list\n"
               "       gbac midi --help\n\n"
               "MIDI devices for `gbac live --midi-device NAME` (PortMidi, i.e. ALSA sequencer\n"
               "ports on Linux). JACK MIDI ports are not listed here: connect them to gbac's\n"
               "JACK MIDI input with any JACK patchbay.\n\n"
               "Commands:\n"
               "  list        print the MIDI input devices (index, interface, name); NAME for\n"
               "              --midi-device is any part of a device's name\n\n"
               "Options:\n"
               "  -h, --help  show this help\n\n"
               "Exit status: 0 on success (also when there are no devices), 1 if PortMidi\n"
               "fails, 2 on a usage error.\n");
}

int gb_cmd_midi(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return GB_EXIT_OK;
    }
    if (argc != 2 || strcmp(argv[1], "list") != 0) {
        if (argc >= 2)
            fprintf(stderr, "gbac midi: unknown command or extra argument '%s'\n",
                    argv[argc >= 3 ? 2 : 1]);
        usage(stderr);
        return GB_EXIT_USAGE;
    }
    gb_error_t err = {0};
    int n = gb_pmidi_list(stdout, &err);
    if (n < 0) {
        fprintf(stderr, "gbac midi list: %s\n", err.msg);
        return GB_EXIT_FAIL;
    }
    return GB_EXIT_OK;
}
