#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac render --record DIR` and `gbac demo --record DIR`: the session folder's files exist
# and agree with each other (WAV frames = provenance frames, named MIDI tracks, note counts);
# bad --record values give clear messages and exit 2 (usage) or 1 (unusable folder); and a
# recording on a real, tiny tmpfs that fills up stops with a "disk full" message while the
# render goes on, leaving a valid WAV of whole frames and a complete provenance.json.
# Needs root for the tmpfs (CI runs as root); fails, saying so, when mount is not permitted.
# Env: GBAC_BIN, GBAC_SOURCE_DIR. Uses jq, soxi/sox and midicsv.
set -u
GBAC=${GBAC_BIN:?GBAC_BIN not set}
SRC=${GBAC_SOURCE_DIR:?GBAC_SOURCE_DIR not set}
WORK=$(mktemp -d /tmp/gbac-record-cli-XXXXXX)
MNT=$WORK/tiny
OUT=$WORK/cli.out
ERR=$WORK/cli.err
failures=0

cleanup() {
    if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    echo "--- stderr:" >&2; cat "$ERR" >&2
    failures=$((failures + 1))
}

# run EXPECTED_STATUS ARGS...
run() {
    want=$1
    shift
    "$GBAC" "$@" >"$OUT" 2>"$ERR"
    got=$?
    [ "$got" = "$want" ] || fail "gbac $* exited $got, expected $want"
}

expect_err() {
    grep -qF -- "$1" "$ERR" || fail "stderr lacks '$1'"
}

# eq WHAT GOT WANT
eq() {
    [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# The Track Name meta events of a MIDI file, one a line (midicsv: Title_t).
track_names() {
    midicsv "$1" | awk -F', ' '$3 == "Title_t" { gsub(/"/, "", $4); print $4 }'
}

MIDI=$SRC/examples/demo/waltz.mid

# ---- render --record: a complete session -------------------------------------------------
run 0 render --preset "$SRC/presets/pluck-arp.json" --midi "$MIDI" --record "$WORK/s1" \
    --quiet
P=$WORK/s1/provenance.json
for f in audio.wav notes.mid control.jsonl provenance.json; do
    [ -s "$WORK/s1/$f" ] || fail "render --record: $f missing or empty"
done
[ -e "$WORK/s1/.reserve" ] && fail "render --record: the reserve file was left behind"
frames=$(jq .frames "$P")
eq "render: provenance audio.frames" "$(jq .audio.frames "$P")" "$frames"
eq "render: WAV frames" "$(soxi -s "$WORK/s1/audio.wav")" "$frames"
eq "render: audio complete" "$(jq .audio.complete "$P")" true
eq "render: command" "$(jq -r .command "$P")" render
eq "render: preset" "$(jq -r .preset.name "$P")" pluck-arp
eq "render: tracks" "$(jq -c .midi.tracks "$P")" '["performer","arp (gbac.arpeggiator)"]'
eq "render: MIDI track names" "$(track_names "$WORK/s1/notes.mid" | tr '\n' '|')" \
    "gbac|performer|arp (gbac.arpeggiator)|"
# the waltz holds 108 notes; the arpeggiator made some of its own
eq "render: performer notes" "$(jq .contributions.performer.notes "$P")" 108
arp=$(jq '.contributions.models[0].notes' "$P")
[ "$arp" -gt 0 ] 2>/dev/null || fail "render: arpeggiator notes '$arp', expected > 0"
eq "render: note-ons on the arp track" \
    "$(midicsv "$WORK/s1/notes.mid" | awk -F', ' '$1 == 3 && $3 == "Note_on_c" && $6 > 0' |
       wc -l)" "$arp"
head -1 "$WORK/s1/control.jsonl" | grep -q '"kind":"tempo","bpm":112' ||
    fail "render: control.jsonl does not start with the tempo line"
header=$(( $(stat -c %s "$WORK/s1/audio.wav") - 8 * frames ))
echo "render --record: $frames frames, 108 performer notes, $arp arpeggiator notes," \
     "WAV header $header bytes"

# FLAC
run 0 render --preset "$SRC/presets/pluck-arp.json" --midi "$MIDI" --record "$WORK/s2" \
    --record-format flac --quiet
eq "render flac: frames" "$(soxi -s "$WORK/s2/audio.flac")" "$(jq .frames "$WORK/s2/provenance.json")"
eq "render flac: bits" "$(soxi -b "$WORK/s2/audio.flac")" 24

# ---- demo --record ---------------------------------------------------------------------------
run 0 demo -o "$WORK/demo.wav" --record "$WORK/d1" --quiet
P=$WORK/d1/provenance.json
eq "demo: command" "$(jq -r .command "$P")" demo
eq "demo: WAV frames" "$(soxi -s "$WORK/d1/audio.wav")" "$(jq .frames "$P")"
eq "demo: same length as its output" "$(soxi -s "$WORK/demo.wav")" "$(jq .frames "$P")"
eq "demo: performer notes" "$(jq .contributions.performer.notes "$P")" 32
eq "demo: preset" "$(jq -r .preset.name "$P")" demo-piece

# ---- bad --record values ---------------------------------------------------------------------
run 2 render --preset "$SRC/presets/pluck-arp.json" --midi "$MIDI" --record ""
expect_err "bad value '' for --record"
run 2 render --preset "$SRC/presets/pluck-arp.json" --midi "$MIDI" --record "$WORK/x" \
    --record-format ogg
expect_err "bad value 'ogg' for --record-format"
run 1 render --preset "$SRC/presets/pluck-arp.json" --midi "$MIDI" \
    --record "$WORK/no/such/dir" --quiet
expect_err "$WORK/no/such/dir: cannot create the session folder: No such file or directory"
touch "$WORK/afile"
run 1 render --preset "$SRC/presets/pluck-arp.json" --midi "$MIDI" --record "$WORK/afile" \
    --quiet
expect_err "$WORK/afile: exists and is not a folder"
run 1 render --preset "$SRC/presets/pluck-arp.json" --midi "$MIDI" --record "$WORK/s1" --quiet
expect_err "$WORK/s1: already holds a session"
run 2 demo --record ""
run 1 demo -o "$WORK/demo2.wav" --record "$WORK/no/such/dir" --quiet
expect_err "cannot create the session folder"

# ---- a full disk: a 3 MiB tmpfs (about 9 s of float stereo after the 1 MiB reserve) ---------
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=3m tmpfs "$MNT" 2>"$ERR"; then
    fail "cannot mount a tmpfs for the full-disk test (needs root): $(cat "$ERR")"
else
    run 1 render --preset "$SRC/presets/pluck-arp.json" --midi "$MIDI" -o "$WORK/full.wav" \
        --record "$MNT/s" --quiet
    expect_err "disk full: "
    expect_err "No space left on device"
    expect_err "the render went on"
    # the render itself is complete
    eq "full disk: the -o file is complete" "$(soxi -s "$WORK/full.wav")" \
        "$(soxi -s "$WORK/s1/audio.wav")"
    P=$MNT/s/provenance.json
    jq -e . "$P" >/dev/null || fail "full disk: provenance.json is not valid JSON"
    eq "full disk: complete" "$(jq .audio.complete "$P")" false
    jq -r .audio.stopped "$P" | grep -q "^disk full: .*No space left on device after" ||
        fail "full disk: audio.stopped is '$(jq -r .audio.stopped "$P")'"
    wframes=$(jq .audio.frames "$P")
    eq "full disk: frames played" "$(jq .frames "$P")" "$(jq .frames "$WORK/s1/provenance.json")"
    [ "$wframes" -gt 48000 ] && [ "$wframes" -lt "$(jq .frames "$P")" ] ||
        fail "full disk: $wframes frames written, expected between 1 s and all"
    # a valid WAV of exactly the whole frames written: header + 8 bytes a frame, no more
    eq "full disk: WAV frames" "$(soxi -s "$MNT/s/audio.wav")" "$wframes"
    eq "full disk: WAV size" "$(stat -c %s "$MNT/s/audio.wav")" $((header + 8 * wframes))
    sox "$MNT/s/audio.wav" -n stat 2>/dev/null || fail "full disk: sox cannot read the WAV"
    grep -q '"kind":"record","event":"stop","reason":"disk full' "$MNT/s/control.jsonl" ||
        fail "full disk: no record stop line in control.jsonl"
    eq "full disk: notes still all recorded" "$(jq .contributions.performer.notes "$P")" 108
    [ -s "$MNT/s/notes.mid" ] || fail "full disk: notes.mid missing"
    echo "full disk: $wframes of $(jq .frames "$P") frames written, $(jq -r .audio.stopped "$P")"
    umount "$MNT"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "record_cli: all passed"
