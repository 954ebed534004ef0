#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The session loop end to end, as a user runs it: `gbac render --record` of a call in D major
# through presets/melody-answer.json (the melody GAN answers it), with a "like" in the OSC
# score; then `gbac publish` to a tarball and `gbac plot` to PNG and SVG. Checks what a reader
# of the results would: the answer on the bar boundary, the provenance's counts, rating and
# model hash, the named MIDI tracks, the FLAC's tags, the credits' human and model parts, and
# the pictures' sizes. Env: GBAC_BIN, GBAC_SOURCE_DIR. Uses csvmidi/midicsv, jq, soxi, tar.
set -u
GBAC=${GBAC_BIN:?GBAC_BIN not set}
SRC=${GBAC_SOURCE_DIR:?GBAC_SOURCE_DIR not set}
WORK=$(mktemp -d /tmp/gbac-session-e2e-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
eq() { if [ "$2" = "$3" ]; then echo "ok: $1 = $3"; else fail "$1: got '$2', expected '$3'"; fi; }
has() { if grep -q -- "$3" "$2"; then echo "ok: $1"; else fail "$1: '$3' not in $2"; cat "$2" >&2; fi; }
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print ($1*16777216+$2*65536+$3*256+$4) "x" ($5*16777216+$6*65536+$7*256+$8)}'; }

# A one-bar call in D major at 100 BPM (960 ticks per quarter here: 480 per quarter in the file).
cat >"$WORK/call.csv" <<'CSV'
0, 0, Header, 1, 1, 480
1, 0, Start_track
1, 0, Tempo, 600000
1, 0, Time_signature, 4, 2, 24, 8
1, 0, Note_on_c, 0, 62, 90
1, 240, Note_off_c, 0, 62, 0
1, 240, Note_on_c, 0, 66, 90
1, 480, Note_off_c, 0, 66, 0
1, 480, Note_on_c, 0, 69, 90
1, 720, Note_off_c, 0, 69, 0
1, 720, Note_on_c, 0, 74, 90
1, 960, Note_off_c, 0, 74, 0
1, 960, Note_on_c, 0, 73, 90
1, 1440, Note_off_c, 0, 73, 0
1, 1440, Note_on_c, 0, 71, 90
1, 1680, Note_off_c, 0, 71, 0
1, 1680, Note_on_c, 0, 69, 90
1, 1920, Note_off_c, 0, 69, 0
1, 9600, End_track
0, 0, End_of_file
CSV
csvmidi "$WORK/call.csv" "$WORK/call.mid" || fail "csvmidi"
printf '9.0 /gbac/param/melody/like f 1\n' >"$WORK/score.txt"

S=$WORK/take
"$GBAC" render --preset "$SRC/presets/melody-answer.json" --midi "$WORK/call.mid" \
    --osc-score "$WORK/score.txt" --record "$S" --tail 8 --quiet 2>"$WORK/render.err"
eq "render exit status" $? 0
P=$S/provenance.json
eq "provenance: performer notes" "$(jq .contributions.performer.notes "$P")" 7
eq "provenance: model slot" "$(jq -r '.contributions.models[0].slot' "$P")" melody
model_notes=$(jq '.contributions.models[0].notes' "$P")
[ "${model_notes:-0}" -ge 4 ] && echo "ok: model notes $model_notes" || fail "model notes: $model_notes"
eq "provenance: model file" "$(jq -r '.models[0].file' "$P")" models/melody-gan.safetensors
eq "provenance: model sha256" "$(jq -r '.models[0].sha256' "$P")" \
    "$(sha256sum "$SRC/models/melody-gan.safetensors" | cut -d' ' -f1)"
eq "provenance: model card licence" "$(jq -r '.models[0].card.data.licence // .models[0].card.licence // empty' "$P" | head -c 7)" GPL-3.0
eq "provenance: ratings" "$(jq -c '[.ratings[] | {slot, value}]' "$P")" '[{"slot":"melody","value":1}]'
eq "provenance: rating frame" "$(jq '.ratings[0].frame' "$P")" 432000
nphr=$(jq '.phrases | length' "$P")
[ "${nphr:-0}" -ge 1 ] && echo "ok: $nphr critic scores" || fail "no phrases with scores"

midicsv "$S/notes.mid" >"$WORK/notes.csv"
has "MIDI: performer track" "$WORK/notes.csv" 'Title_t, "performer"'
has "MIDI: model track" "$WORK/notes.csv" 'Title_t, "melody (gbac.melody-gan)"'
# The call ends in bar 1, one beat of silence: the answer starts at bar 3 = tick 2*4*960.
first=$(awk -F', ' '/Title_t, "melody/ {t=$1} t && $1==t && $3=="Note_on_c" {print $2; exit}' "$WORK/notes.csv")
eq "answer starts on the bar boundary (tick)" "$first" 7680

"$GBAC" publish "$S" -o "$WORK/share.tar.gz" >"$WORK/publish.out" 2>&1
eq "publish exit status" $? 0
eq "tarball members" "$(tar -tzf "$WORK/share.tar.gz" | sort | tr '\n' ' ')" \
    "share/ share/audio.flac share/cover.png share/credits.txt share/notes.mid share/provenance.json "
tar -xzf "$WORK/share.tar.gz" -C "$WORK"
soxi -a "$WORK/share/audio.flac" >"$WORK/tags.txt" 2>&1
has "FLAC: title" "$WORK/tags.txt" '^[Tt][Ii][Tt][Ll][Ee]=melody-answer'
has "FLAC: artist" "$WORK/tags.txt" '^[Aa][Rr][Tt][Ii][Ss][Tt]=Performer with gbac melody-gan'
has "FLAC: comment" "$WORK/tags.txt" "performer 7 notes 2.4 s; melody-gan $model_notes notes"
eq "FLAC frames = WAV frames" "$(soxi -s "$WORK/share/audio.flac")" "$(soxi -s "$S/audio.wav")"
has "credits: the human part" "$WORK/share/credits.txt" 'performer (human) *7 '
has "credits: the model part" "$WORK/share/credits.txt" "melody (gbac.melody-gan, model) *$model_notes "
has "credits: the data licence" "$WORK/share/credits.txt" 'data licence: GPL-3.0'
eq "cover size" "$(png_size "$WORK/share/cover.png")" 1000x1000

"$GBAC" plot "$S" -o "$WORK/take.png" --width 1200 --height 800 >"$WORK/plot.out" 2>&1
eq "plot exit status" $? 0
eq "plot size" "$(png_size "$WORK/take.png")" 1200x800
has "plot summary" "$WORK/plot.out" "2 tracks, $((7 + model_notes)) notes"
"$GBAC" plot "$S" -o "$WORK/take.svg" >/dev/null 2>&1
eq "plot SVG exit status" $? 0
eq "SVG header" "$(head -c 5 "$WORK/take.svg")" "<?xml"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all session checks passed"
