#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac eval timbre` on the shipped model and a small FluidR3_GM dataset made on the spot:
# the report has its fields, and the model reconstructs better than both baselines. (The
# shipped model's held-out figure on its own test split is in models/timbre-vae.md.)
# Usage: eval_timbre_cli.sh GBAC SOURCE_DIR
set -u
gbac=$1
src=$2
sf2=${GBAC_TEST_SF2:-/usr/share/sounds/sf2/FluidR3_GM.sf2}
if [ ! -r "$sf2" ]; then
    echo "SKIP: $sf2 is missing (Debian package fluid-soundfont-gm)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$gbac" dataset timbre -o "$tmp/ds" --soundfont "$sf2" --programs 0,19,40,56,73 \
    --keys 48,60,72 --velocities 100 --split 0.5,0.1,0.4 --seed 3 2>"$tmp/ds.log" ||
    fail "dataset: $(cat "$tmp/ds.log")"
out=$("$gbac" eval timbre --model "$src/models/timbre-vae.safetensors" --data "$tmp/ds" --json) ||
    fail "eval exited $?"
echo "$out"
num() { echo "$out" | sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
model=$(num msd_model); mean=$(num msd_mean_frame); near=$(num msd_nearest_note)
notes=$(num test_notes)
[ -n "$model" ] && [ -n "$mean" ] && [ -n "$near" ] && [ -n "$notes" ] || fail "fields missing"
[ "$notes" -ge 3 ] || fail "only $notes test notes"
awk -v m="$model" -v a="$mean" -v b="$near" 'BEGIN { exit !(m < a && m < b) }' ||
    fail "model $model not better than mean frame $mean and nearest note $near"

# Bad input: a missing model file names the file, exit 1; a missing option, exit 2.
"$gbac" eval timbre --model "$tmp/none.safetensors" --data "$tmp/ds" 2>"$tmp/err"
[ $? -eq 1 ] || fail "missing model: expected exit 1"
grep -q "none.safetensors" "$tmp/err" || fail "missing model: message does not name the file"
"$gbac" eval timbre --data "$tmp/ds" 2>/dev/null
[ $? -eq 2 ] || fail "missing --model: expected exit 2"
echo "PASS"
