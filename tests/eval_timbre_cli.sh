#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac eval timbre` on the shipped model and a small FluidR3_GM dataset made on the spot:
# the report has its fields, and the model reconstructs better than both baselines; the latent
# smoothness figures are in range; --map writes a 1000x800 PNG that is not blank, and SVG.
# (The shipped model's figures on its own test split are in models/timbre-vae.md.)
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
out=$("$gbac" eval timbre --model "$src/models/timbre-vae.safetensors" --data "$tmp/ds" --json \
    --map "$tmp/map.png") || fail "eval exited $?"
echo "$out"
num() { echo "$out" | sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
model=$(num msd_model); mean=$(num msd_mean_frame); near=$(num msd_nearest_note)
notes=$(num test_notes)
[ -n "$model" ] && [ -n "$mean" ] && [ -n "$near" ] && [ -n "$notes" ] || fail "fields missing"
[ "$notes" -ge 3 ] || fail "only $notes test notes"
awk -v m="$model" -v a="$mean" -v b="$near" 'BEGIN { exit !(m < a && m < b) }' ||
    fail "model $model not better than mean frame $mean and nearest note $near"

# Latent smoothness: step ratios >= 1 (the largest step is at least the mean step), the
# monotonic fraction in [0, 1], at least one path.
smax=$(num latent_smoothness_max_step_ratio); smean=$(num latent_smoothness_mean_step_ratio)
mono=$(num latent_centroid_monotonic_fraction); paths=$(num latent_paths)
[ -n "$smax" ] && [ -n "$smean" ] && [ -n "$mono" ] && [ -n "$paths" ] ||
    fail "smoothness fields missing"
[ "$paths" -ge 1 ] || fail "no latent path measured"
awk -v x="$smax" -v m="$smean" -v f="$mono" \
    'BEGIN { exit !(m >= 1 && x >= m && x < 100 && f >= 0 && f <= 1) }' ||
    fail "smoothness out of range: max $smax mean $smean monotonic $mono"

# Latent knobs (issue 14): eight numbers, the strongest 1.0, every one >= 0.25 (the knob's
# sweep from -2 to +2 changes the rendered A3 by at least a quarter of the strongest's);
# the shipped preset maps only knobs that change the sound.
eff=$(echo "$out" | sed -n 's/.*"latent_dim_effect": \[\([^]]*\)\].*/\1/p')
[ -n "$eff" ] || fail "latent_dim_effect missing"
echo "$eff" | tr ',' '\n' | awk '
    { n++; v = $1 + 0; if (v > max) max = v; if (n == 1 || v < min) min = v }
    END { if (n != 8 || max != 1 || min < 0.25) exit 1 }' ||
    fail "latent_dim_effect: every knob must reach 25% of the strongest ($eff)"
for k in $(grep -o '"vae/z[0-7]"' "$src/presets/timbre-vae.json" | tr -dc '0-9\n'); do
    e=$(echo "$eff" | tr ',' '\n' | sed -n "$((k + 1))p")
    awk -v e="$e" 'BEGIN { exit !(e >= 0.25) }' ||
        fail "presets/timbre-vae.json maps knob z$k, whose effect is only $e"
done
[ -n "$(num msd_onset_model)" ] && [ -n "$(num msd_onset_static)" ] ||
    fail "msd_onset_model / msd_onset_static missing"

# The map: PNG signature, IHDR width and height 1000 x 800 (big-endian at bytes 16..23), and
# not blank: many distinct byte values in a compressed image of dots, text and axes.
[ -s "$tmp/map.png" ] || fail "--map wrote no file"
sig=$(od -An -tx1 -N8 "$tmp/map.png" | tr -d ' \n')
[ "$sig" = "89504e470d0a1a0a" ] || fail "map is not a PNG (signature $sig)"
wh=$(od -An -tu1 -j16 -N8 "$tmp/map.png" |
    awk '{ print ($1 * 16777216 + $2 * 65536 + $3 * 256 + $4) "x" \
                 ($5 * 16777216 + $6 * 65536 + $7 * 256 + $8) }')
[ "$wh" = "1000x800" ] || fail "map is $wh, expected 1000x800"
size=$(wc -c <"$tmp/map.png")
[ "$size" -gt 20000 ] || fail "map is only $size bytes: blank?"
"$gbac" eval timbre --model "$src/models/timbre-vae.safetensors" --data "$tmp/ds" \
    --max-notes 1 --map "$tmp/map.svg" >/dev/null || fail "--map .svg exited $?"
grep -q "<svg" "$tmp/map.svg" || fail "map.svg is not SVG"
grep -q 'width="1000' "$tmp/map.svg" || fail "map.svg is not 1000 wide"

# A map in a folder that cannot be written: exit 1, the message names the path.
"$gbac" eval timbre --model "$src/models/timbre-vae.safetensors" --data "$tmp/ds" \
    --map "$tmp/no/such/dir/map.png" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] || fail "unwritable --map: expected exit 1"
grep -q "no/such/dir/map.png" "$tmp/err" || fail "unwritable --map: message does not name it"
if [ "$(id -u)" -ne 0 ]; then # root writes into read-only folders
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    "$gbac" eval timbre --model "$src/models/timbre-vae.safetensors" --data "$tmp/ds" \
        --map "$tmp/ro/map.png" >/dev/null 2>"$tmp/err"
    [ $? -eq 1 ] || fail "read-only --map folder: expected exit 1"
    grep -q "ro/map.png" "$tmp/err" || fail "read-only --map folder: message does not name it"
fi

# Bad input: a missing model file names the file, exit 1; a missing option, exit 2.
"$gbac" eval timbre --model "$tmp/none.safetensors" --data "$tmp/ds" 2>"$tmp/err"
[ $? -eq 1 ] || fail "missing model: expected exit 1"
grep -q "none.safetensors" "$tmp/err" || fail "missing model: message does not name the file"
"$gbac" eval timbre --data "$tmp/ds" 2>/dev/null
[ $? -eq 2 ] || fail "missing --model: expected exit 2"
echo "PASS"
