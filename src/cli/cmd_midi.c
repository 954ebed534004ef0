/* cmd_midi.c — `gbac midi list`: the MIDI input devices PortMidi sees.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>

#include "gb_cli.h"
#include "gb_pmidi.h"

static int list_run(void *args, const gb_cli_call_t *call)
{
    (void)args;
    gb_error_t err = {0};
    if (gb_pmidi_list(stdout, &err) < 0) {
        fprintf(stderr, "%s: %s\n", call->prog, err.msg);
        return GB_EXIT_FAIL;
    }
    return GB_EXIT_OK;
}

static const gb_cmd_t midi_list = {
    .name = "list",
    .summary = "print the MIDI input devices (index, interface, name); NAME for --midi-device "
               "is any part of a device's name",
    .description = "MIDI devices for `gbac live --midi-device NAME` (PortMidi, i.e. ALSA "
                   "sequencer ports on Linux). JACK MIDI ports are not listed here: connect "
                   "them to gbac's JACK MIDI input with any JACK patchbay.",
    .epilogue = "Exit status: 0 on success (also when there are no devices), 1 if PortMidi "
                "fails, 2 on a usage error.",
    .run = list_run,
};

const gb_cmd_t gb_cli_midi = {
    .name = "midi",
    .summary = "list MIDI input devices (PortMidi): `midi list`",
    .description = "MIDI devices for `gbac live --midi-device NAME` (PortMidi).",
    GB_CLI_SUBS(&midi_list),
};

GB_CLI_ENTRY(gb_cmd_midi, gb_cli_midi)
