#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The answers and the accompaniment of a melody model on the shipped corpus' held-out tunes
# (models/gb_melody_answers.h, models/gb_melody_accomp.h): `gbac eval melody --json` on the
# dataset `gbac dataset melody` makes without --from, checked against issue 13's targets.
# Usage: melody_answers.sh GBAC SOURCE_DIR [MODEL]   (MODEL: the shipped one by default)
set -u
gbac=$1
src=$(cd "$2" && pwd) # absolute: the links below point into it
model=${3:-$src/models/melody-gan.safetensors}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$gbac" dataset melody -q -o "$tmp/ds" --transpose 0..0 2>"$tmp/e" || fail "dataset: $(cat "$tmp/e")"
"$gbac" eval melody --model "$model" --data "$tmp/ds" --json >"$tmp/j" 2>"$tmp/e" ||
    fail "eval: $(cat "$tmp/e")"
get() { sed -n "s/.*\"$1\": \([-0-9.e]*\).*/\1/p" "$tmp/j"; }
check() { # KEY CONDITION (awk, v = the value)
    v=$(get "$1")
    [ -n "$v" ] || fail "key $1 missing"
    echo "$1 = $v"
    awk -v v="$v" -v h="${3:-0}" "BEGIN{exit !($2)}" || fail "$1 = $v, want $2"
}
check answer_in_key "v >= 0.95"
# against the key each tune's ABC file states (gb_melody_answers.h): 0.875 when written (0.827
# against the dataset's whole-tune key before); issue 13 asks 0.9 (not reached). The figure
# does not depend on the seed or the model (the detector is gb_call_key).
check key_from_call "v >= 0.87"
check key_ref_abc "v == h" "$(sed -n 's/.*"answer_calls": \([0-9]*\).*/\1/p' "$tmp/j" | awk '{print $1 / 12}')"
check key_ref_fallback "v == 0"   # every held-out tune of the shipped corpus has its ABC
check answer_empty_bars "v == 0"
check answer_density_ratio "v >= 1.5"
check answer_cadence "v >= h" "$(get answer_cadence_heldout)"
check answer_range_ratio "v >= 0.8"
check acc_in_key "v >= 0.97"
check acc_strong_chord_tones "v >= 0.8"
check acc_above_chord "v >= 0.8 * h && v <= 1.2 * h" "$(get acc_above_chord_heldout)"
check acc_mean_interval "v >= 0.8 * h && v <= 1.2 * h" "$(get acc_mean_interval_heldout)"
n=$(sed -n 's/.*"answer_calls": \([0-9]*\).*/\1/p' "$tmp/j")
[ "$n" -ge 1000 ] || fail "answer_calls = $n, want >= 1000 (12 keys of every held-out call)"
n=$(sed -n 's/.*"acc_bars": \([0-9]*\).*/\1/p' "$tmp/j")
[ "$n" -ge 400 ] || fail "acc_bars = $n, want >= 400"
# a dataset whose tunes have no ABC file (the same MIDI files under other names): every tune
# falls back to the dataset's whole-tune key, and key_from_call is the old figure (0.827)
mkdir "$tmp/mid"
for f in "$src"/models/data/nottingham/MIDI/melody/*.mid; do ln -s "$f" "$tmp/mid/x${f##*/}"; done
"$gbac" dataset melody -q -o "$tmp/ds2" --from "$tmp/mid" --transpose 0..0 2>"$tmp/e" ||
    fail "dataset without ABC: $(cat "$tmp/e")"
"$gbac" eval melody --model "$model" --data "$tmp/ds2" --json >"$tmp/j" 2>"$tmp/e" ||
    fail "eval without ABC: $(cat "$tmp/e")"
check key_ref_abc "v == 0"
check key_ref_fallback "v >= 100"
check key_from_call "v >= 0.82 && v < 0.87"
echo OK
