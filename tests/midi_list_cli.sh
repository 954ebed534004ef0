#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac midi list`: exit 0, and either a device table or the plain no-devices sentence (this
# is what machines without an ALSA sequencer print), with no ALSA noise on stderr.
# Usage: midi_list_cli.sh PATH/TO/gbac
set -u
gbac=$1
out=$("$gbac" midi list 2>/tmp/midi_list_err.$$)
rc=$?
err=$(cat /tmp/midi_list_err.$$); rm -f /tmp/midi_list_err.$$
echo "$out"
[ -n "$err" ] && echo "stderr: $err"
[ "$rc" -eq 0 ] || { echo "FAIL: exit status $rc"; exit 1; }
if echo "$out" | grep -q '^MIDI input devices (PortMidi):'; then
    echo "$out" | grep -qE '^ +[0-9]+ ' || { echo "FAIL: header but no device line"; exit 1; }
else
    [ "$out" = "No MIDI input devices found (PortMidi sees none: no ALSA sequencer on this machine?)" ] ||
        { echo "FAIL: neither a device list nor the no-devices sentence"; exit 1; }
    [ -z "$err" ] || { echo "FAIL: unexpected stderr"; exit 1; }
fi
"$gbac" midi bogus >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a bad subcommand must exit 2"; exit 1; }
echo "midi list: ok"
