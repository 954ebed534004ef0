#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The shipped timbre VAE's figures on its own test split (issue 14, models/timbre-vae.md):
# the dataset is rebuilt exactly as the card says (FluidR3_GM, defaults, seed 1), then
# `gbac eval timbre --json` must show
#   - every latent knob: a sweep from -2 to +2 changes the rendered A3 by >= 25% of the
#     strongest knob's change (latent_dim_effect, strongest = 1.0);
#   - the first 100 ms of the test notes: msd_onset_model at least 15% below the static
#     ablation's msd_onset_static (the card's figure is 15.6%; the issue's target of 20% is
#     not reached, see models/timbre-vae.md); the whole notes no worse than the ablation's;
#   - the model at least 30% closer than the mean-frame and nearest-note baselines.
# About 2 minutes of CPU (the dataset's analysis is most of it). Skips without FluidR3_GM.
# Usage: timbre_model_figures.sh GBAC SOURCE_DIR
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
model=$src/models/timbre-vae.safetensors
[ -r "$model.static" ] || fail "$model.static (the ablation) is not shipped"

"$gbac" dataset timbre -o "$tmp/ds" --soundfont "$sf2" -q 2>"$tmp/ds.log" ||
    fail "dataset: $(cat "$tmp/ds.log")"
out=$("$gbac" eval timbre --model "$model" --data "$tmp/ds" --json) || fail "eval exited $?"
echo "$out"
num() { echo "$out" | sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p"; }
m=$(num msd_model); mean=$(num msd_mean_frame); near=$(num msd_nearest_note)
on=$(num msd_onset_model); ons=$(num msd_onset_static); st=$(num msd_static)
notes=$(num test_notes)
[ -n "$m" ] && [ -n "$mean" ] && [ -n "$near" ] && [ -n "$on" ] && [ -n "$ons" ] &&
    [ -n "$st" ] || fail "fields missing"
[ "$notes" -eq 183 ] || fail "$notes test notes; the card's split has 183"
awk -v m="$m" -v a="$mean" -v b="$near" 'BEGIN { exit !(m <= 0.7 * a && m <= 0.7 * b) }' ||
    fail "model $m is not 30% closer than mean frame $mean and nearest note $near"
awk -v o="$on" -v s="$ons" 'BEGIN { exit !(o <= 0.85 * s) }' ||
    fail "onsets: model $o is not 15% below the static ablation's $ons"
awk -v m="$m" -v s="$st" 'BEGIN { exit !(m <= s) }' ||
    fail "whole notes: model $m is worse than the static ablation's $st"
eff=$(echo "$out" | sed -n 's/.*"latent_dim_effect": \[\([^]]*\)\].*/\1/p')
[ -n "$eff" ] || fail "latent_dim_effect missing"
echo "$eff" | tr ',' '\n' | awk '
    { n++; v = $1 + 0; if (v > max) max = v; if (n == 1 || v < min) min = v }
    END { if (n != 8 || max != 1 || min < 0.25) { print "knobs: " n " values, max " max ", min " min; exit 1 } }' ||
    fail "latent_dim_effect: every knob must reach 25% of the strongest ($eff)"
echo "PASS"
