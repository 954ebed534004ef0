#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac preset check` and `gbac preset list`: every shipped preset passes, broken copies fail
# with "gbac: FILE..." messages, the example plugin is found through --plugin-dir and
# GBAC_PLUGIN_PATH (and not without them), bad plugin folders are refused.
# Usage: preset_cli.sh GBAC SOURCE_DIR EXAMPLE_PLUGIN_DIR BAD_PLUGIN_DIR WORK_DIR
set -u
GBAC=$1
SRC=$2
PLUGINS=$3
BAD=$4
WORK=$5
mkdir -p "$WORK"
OUT=$WORK/cli.out
ERR=$WORK/cli.err
failures=0
unset GBAC_PLUGIN_PATH

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2; cat "$OUT" >&2
    echo "--- stderr:" >&2; cat "$ERR" >&2
    failures=$((failures + 1))
}

# run EXPECTED_STATUS ARGS... — run gbac, check the exit status.
run() {
    want=$1
    shift
    "$GBAC" "$@" >"$OUT" 2>"$ERR"
    got=$?
    [ "$got" -eq "$want" ] || fail "gbac $* exited $got, expected $want"
}

has() { # has FILE TEXT
    grep -qF -- "$2" "$1" || fail "expected '$2' in $(basename "$1")"
}

# Every shipped preset, one by one and all together.
n=0
for f in "$SRC"/presets/*.json; do
    run 0 preset check "$f"
    has "$OUT" "$f: ok"
    has "$OUT" "instrument"
    [ -s "$ERR" ] && fail "stderr not empty for $f"
    n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "only $n presets in $SRC/presets"
run 0 preset check "$SRC"/presets/*.json

# Broken copies of a shipped preset: exit 1, "gbac: FILE: ..." on stderr.
ORIG=$SRC/presets/warm-pad.json
COPY=$WORK/broken.json
sed '1s/{/{"bogus": 1, /' "$ORIG" >"$COPY"
run 1 preset check "$COPY"
has "$ERR" "gbac: $COPY:1: bogus: unknown key (allowed here: format, name, description"
sed 's/"polyphony": [0-9]*/"polyphony": 99/' "$ORIG" >"$COPY"
run 1 preset check "$COPY"
has "$ERR" "gbac: $COPY:7: polyphony: 99 is out of range 1..64"
head -c 200 "$ORIG" >"$COPY"
run 1 preset check "$COPY"
grep -Eq "^gbac: $COPY:[0-9]+:[0-9]+: " "$ERR" || fail "no FILE:LINE:COL for a truncated file"
sed 's/"frames"/"framez"/' "$ORIG" >"$COPY"
run 1 preset check "$COPY"
has "$ERR" "gbac: $COPY: rack.instrument.state.timbre: unknown key 'framez'"
# A bad file does not stop the others from being checked.
run 1 preset check "$COPY" "$ORIG"
has "$OUT" "$ORIG: ok"
run 1 preset check "$WORK/no-such.json"
has "$ERR" "gbac: $WORK/no-such.json: cannot open: No such file or directory"

# The example plugin: not without its folder, then through --plugin-dir and GBAC_PLUGIN_PATH.
TREM=$SRC/examples/plugin/tremolo-keys.json
run 1 preset check "$TREM"
has "$ERR" "unknown unit 'example.tremolo'"
run 0 preset check --plugin-dir "$PLUGINS" "$TREM"
has "$OUT" "example.tremolo"
export GBAC_PLUGIN_PATH="/nonexistent:$PLUGINS"
run 0 preset check "$TREM"
has "$OUT" "$TREM: ok"
unset GBAC_PLUGIN_PATH
run 0 preset list --plugin-dir "$PLUGINS" --preset-dir "$SRC/presets"
has "$OUT" "Presets in $SRC/presets/:"
has "$OUT" "warm-pad.json"
has "$OUT" "example.tremolo  (effect, Tremolo 1.0, gbac examples)"
has "$OUT" "gbac.harmonic-synth  (instrument"
grep -Eq '^ +rate_hz +0.05..20 Hz +4 +tremolo speed$' "$OUT" || fail "rate_hz row"
grep -Eq '^ +shape +0..1 +0 +0: sine, 1: triangle \[whole numbers\]$' "$OUT" || fail "shape row"
export GBAC_DATA_DIR="$SRC"
run 0 preset list
has "$OUT" "Presets in $SRC/presets/:"
has "$OUT" "pluck-arp.json"
unset GBAC_DATA_DIR

# Bad plugin folders are refused, naming the plugin.
run 1 preset check --plugin-dir "$BAD" "$ORIG"
has "$ERR" "gbac: $BAD/bad_abi.so: ABI version 7, this gbac speaks 2"
export GBAC_PLUGIN_PATH="$BAD"
run 1 preset list
has "$ERR" "gbac: $BAD/bad_abi.so: ABI version 7"
unset GBAC_PLUGIN_PATH
run 1 preset check --plugin-dir "$WORK/no-such-dir" "$ORIG"
has "$ERR" "gbac: $WORK/no-such-dir: cannot open plugin folder: No such file or directory"

# Usage.
run 0 preset --help
has "$OUT" "Usage: gbac preset check [--plugin-dir DIR]... FILE..."
run 0 preset check --help
run 2 preset
run 2 preset check
run 2 preset check --bogus "$ORIG"
run 2 preset check --plugin-dir
run 2 preset list extra
run 2 preset frobnicate
has "$ERR" "unknown subcommand 'frobnicate'"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "preset_cli: all checks passed"
