#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The self-contained install: `cmake --install` into a temporary prefix, the prefix moved
# (renamed), then run from there with no GBAC_* variables and a working folder outside the
# source and build trees: `gbac demo`, `gbac preset list`, `gbac model info` on the shipped
# models, a render whose timbre-VAE unit finds the shipped model by itself; a copy of the
# binary with no data beside it fails naming the folders it looked in (so no source path is
# compiled in) and GBAC_DATA_DIR still overrides; the example plugin, installed as
# documentation, builds against the installed header through pkg-config and loads through
# --plugin-dir and from the installed plugin folder; the LV2 bundle gbac.lv2 is installed and
# plays with its model from the moved prefix; `gbac live` from the moved prefix loads the
# shipped model over OSC and refuses names leaving its models folder; installed man pages
# render.
# Usage: install_check.sh CMAKE BUILD_DIR SOURCE_DIR [MAN_PAGE...]  (MAN_PAGE: man1/gbac.1)
# Uses jq, soxi, csvmidi, sha256sum, strip, strings, pkg-config, man.
set -u
CMAKE=$1
BUILD=$2
SRC=$3
shift 3
MANS=("$@")
T=$(mktemp -d /tmp/gbac-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
OUT=$T/cmd.out
ERR=$T/cmd.err
failures=0

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2; tail -n 20 "$OUT" >&2
    echo "--- stderr:" >&2; tail -n 20 "$ERR" >&2
    failures=$((failures + 1))
}

# clean CMD... — CMD with a clean environment (PATH and the sanitizers' options only, HOME
# in the temporary folder; extra VAR=VALUE words first are added) in $T/work.
clean() {
    local keep=(HOME="$T/home" LANG=C.UTF-8)
    for v in PATH ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS RTSAN_OPTIONS OPENBLAS_CORETYPE; do
        [ -n "${!v:-}" ] && keep+=("$v=${!v}")
    done
    (cd "$T/work" && env -i "${keep[@]}" "$@")
}

# run EXPECTED_STATUS CMD... — clean CMD, output in $OUT and $ERR, status checked.
run() {
    local want=$1
    shift
    clean "$@" >"$OUT" 2>"$ERR"
    local got=$?
    [ "$got" -eq "$want" ] || fail "$* exited $got, expected $want"
}

has() { # has FILE TEXT
    grep -qF -- "$2" "$1" || fail "expected '$2' in $(basename "$1")"
}

mkdir -p "$T/work" "$T/home"

# ---- install, then move the prefix
"$CMAKE" --install "$BUILD" --prefix "$T/staged" >"$T/install.log" 2>&1 ||
    { cat "$T/install.log" >&2; echo "FAIL: cmake --install" >&2; exit 1; }
mv "$T/staged" "$T/moved"
P=$T/moved
GBAC=$P/bin/gbac

# ---- the layout: every shipped file, byte for byte
[ -x "$GBAC" ] || fail "no $GBAC"
n=0
for d in presets examples/demo models/data; do
    [ -d "$SRC/$d" ] || continue
    while IFS= read -r f; do
        cmp -s "$SRC/$f" "$P/share/gbac/$f" || fail "share/gbac/$f missing or different"
        n=$((n + 1))
    done < <(cd "$SRC" && find "$d" -type f)
done
for f in "$SRC"/models/*.safetensors "$SRC"/models/*.safetensors.* "$SRC"/models/*.md; do
    case $f in *.ckpt) continue ;; esac
    rel=models/$(basename "$f")
    cmp -s "$f" "$P/share/gbac/$rel" || fail "share/gbac/$rel missing or different"
    n=$((n + 1))
done
[ "$n" -ge 12 ] || fail "only $n shipped files checked"
cmp -s "$SRC/src/include/gbac_plugin.h" "$P/include/gbac/gbac_plugin.h" ||
    fail "include/gbac/gbac_plugin.h missing or different"
for f in lib/pkgconfig/gbac-plugin.pc share/doc/gbac/README.md share/doc/gbac/LICENSE \
         share/doc/gbac/docs/units.md share/doc/gbac/examples/plugin/example_tremolo.c; do
    [ -f "$P/$f" ] || fail "no $f"
done
[ -d "$P/lib/gbac/plugins" ] || fail "no lib/gbac/plugins folder"
# Neither the source nor the build folder is written into the program (its debug
# information, which names the sources, aside).
strip --strip-debug -o "$T/gbac.nodebug" "$GBAC" || fail "strip $GBAC"
if strings -n 4 "$T/gbac.nodebug" | grep -Fqx -e "$SRC" -e "$BUILD"; then
    fail "the binary holds the source or build path"
fi

# ---- gbac demo
run 0 "$GBAC" demo -o demo.wav
has "$OUT" "demo.wav"
secs=$(soxi -D "$T/work/demo.wav" 2>/dev/null || echo 0)
awk -v s="$secs" 'BEGIN { exit !(s >= 20 && s <= 40) }' || fail "demo.wav lasts $secs s"

# ---- gbac preset list: the shipped presets, from the moved prefix
run 0 "$GBAC" preset list
has "$OUT" "Presets in $P/share/gbac/presets/:"
for f in "$SRC"/presets/*.json; do
    grep -Eq "^  $(basename "$f") +[^ ]" "$OUT" || fail "preset list lacks $(basename "$f")"
done
grep -q "INVALID" "$OUT" && fail "an installed preset is invalid"
has "$OUT" "gbac.timbre-vae  (instrument"

# ---- gbac model info on the installed models
run 0 "$GBAC" model info --json "$P/share/gbac/models/timbre-vae.safetensors"
[ "$(jq -r .kind "$OUT")" = timbre-vae-decoder ] || fail "timbre-vae kind $(jq -r .kind "$OUT")"
run 0 "$GBAC" model info "$P/share/gbac/models/melody-gan.safetensors"
has "$OUT" "Kind:      melody-gan-generator"

# ---- a unit finds the shipped model by itself (the preset names models/timbre-vae...)
printf '%s\n' "0, 0, Header, 0, 1, 480" "1, 0, Start_track" "1, 0, Note_on_c, 0, 60, 100" \
    "1, 480, Note_off_c, 0, 60, 0" "1, 480, End_track" "0, 0, End_of_file" |
    csvmidi >"$T/work/c4.mid"
run 0 "$GBAC" render --preset "$P/share/gbac/presets/timbre-vae.json" --midi c4.mid \
    -o c4.wav --tail 0.2 --record take
pj=$T/work/take/provenance.json
[ "$(jq -r '.models[0].file' "$pj")" = models/timbre-vae.safetensors ] ||
    fail "provenance model $(jq -r '.models[0].file' "$pj")"
want=$(sha256sum "$P/share/gbac/models/timbre-vae.safetensors" | cut -d' ' -f1)
[ "$(jq -r '.models[0].sha256' "$pj")" = "$want" ] || fail "the model used is not the shipped one"

# ---- no data beside the binary: a clear failure naming where it looked; GBAC_DATA_DIR
mkdir -p "$T/lone/bin"
cp "$GBAC" "$T/lone/bin/gbac"
run 1 "$T/lone/bin/gbac" demo -o lone.wav
has "$ERR" "cannot find the demo data (examples/demo/calls.mid); looked in: $T/lone/share/gbac, $T/lone/bin/share/gbac."
[ -e "$T/work/lone.wav" ] && fail "lone.wav written without data"
run 1 "$T/lone/bin/gbac" preset list
has "$ERR" "no shipped presets/ found (looked in: $T/lone/share/gbac, $T/lone/bin/share/gbac)"
has "$OUT" "gbac.harmonic-synth  (instrument"
run 0 GBAC_DATA_DIR="$P/share/gbac" "$T/lone/bin/gbac" preset list
has "$OUT" "Presets in $P/share/gbac/presets/:"
run 1 GBAC_DATA_DIR="$T/nowhere" "$GBAC" demo -o x.wav
has "$ERR" "looked in: $T/nowhere (GBAC_DATA_DIR)."

# ---- a plugin built against the installed header through pkg-config, then loaded
PC=(PKG_CONFIG_PATH="$P/lib/pkgconfig")
run 0 "${PC[@]}" pkg-config --cflags gbac-plugin
inc=$(sed -n 's/^-I\([^ ]*\).*/\1/p' "$OUT")
cmp -s "$inc/gbac_plugin.h" "$P/include/gbac/gbac_plugin.h" || fail "--cflags gives '$inc'"
run 0 "${PC[@]}" pkg-config --variable=plugindir gbac-plugin
[ "$(realpath -m "$(cat "$OUT")")" = "$P/lib/gbac/plugins" ] || fail "plugindir $(cat "$OUT")"
run 0 "${PC[@]}" pkg-config --variable=abi_version gbac-plugin
abi=$(sed -n 's/^#define GBP_ABI_VERSION \([0-9]*\)u.*/\1/p' "$P/include/gbac/gbac_plugin.h")
[ -n "$abi" ] && [ "$(cat "$OUT")" = "$abi" ] || fail "abi_version $(cat "$OUT"), header $abi"

EX=$P/share/doc/gbac/examples/plugin
run 0 "${PC[@]}" "$CMAKE" -S "$EX" -B "$T/plugin-build" -DCMAKE_BUILD_TYPE=Release
has "$OUT" "gbac_plugin.h from $P/lib/pkgconfig/../../include/gbac; installs into $P/lib/pkgconfig/../../lib/gbac/plugins"
run 0 "$CMAKE" --build "$T/plugin-build"
[ -f "$T/plugin-build/example_tremolo.so" ] || fail "no example_tremolo.so"
run 1 "$GBAC" preset check "$EX/tremolo-keys.json"
has "$ERR" "unknown unit 'example.tremolo'"
run 0 "$GBAC" preset check --plugin-dir "$T/plugin-build" "$EX/tremolo-keys.json"
has "$OUT" "$EX/tremolo-keys.json: ok"
run 0 "$CMAKE" --install "$T/plugin-build"
[ -f "$P/lib/gbac/plugins/example_tremolo.so" ] || fail "plugin not installed into plugindir"
run 0 "$GBAC" preset check "$EX/tremolo-keys.json"
has "$OUT" "$EX/tremolo-keys.json: ok"
run 0 "$GBAC" preset list
has "$OUT" "example.tremolo  (effect, Tremolo"
# The same plugin named twice (--plugin-dir and the installed folder) loads once.
run 0 "$GBAC" preset check --plugin-dir "$P/lib/gbac/plugins" "$EX/tremolo-keys.json"

# ---- the LV2 bundle at lib/lv2/gbac.lv2: the build's files, and (with GB_LV2P_TEST, the
# lilv-hosted test_lv2_plugin) A4 through both instruments with the timbre-VAE's model found
# by the plugin itself in the moved prefix's share/gbac
B=$P/lib/lv2/gbac.lv2
for f in "$BUILD"/lv2/gbac.lv2/*; do
    cmp -s "$f" "$B/$(basename "$f")" || fail "lib/lv2/gbac.lv2/$(basename "$f") missing or different"
done
[ -f "$B/manifest.ttl" ] && [ -f "$B/gbac.so" ] || fail "no manifest.ttl or gbac.so in $B"
if [ -n "${GB_LV2P_TEST:-}" ]; then
    run 0 GB_LV2P_BUNDLE="$B" GBT_LV2_ONLY=a4 "$GB_LV2P_TEST"
    has "$OUT" "urn:gbac:timbre-vae: A4 at 4"
    has "$OUT" "urn:gbac:harmonic-synth: A4 at 4"
fi

# ---- a shipped model over OSC (/gbac/timbre/model) from the installed gbac on a named jackd:
# loaded from P/share/gbac/models, names leaving it refused, a link in it leading out too
if [ -n "${GB_OSC_MODEL_TEST:-}" ]; then
    run 0 "$GB_OSC_MODEL_TEST" --gbac "$GBAC" --prefix "$P"
    has "$OUT" "timbre-vae                   → /gbac/timbre/model timbre-vae"
    has "$OUT" "resolves outside"
fi

# ---- man pages registered with gb_install_man()
if [ "${#MANS[@]}" -eq 0 ]; then
    echo "note: this build registers no man page (gb_install_man)"
fi
for m in "${MANS[@]}"; do
    [ -f "$P/share/man/$m" ] || { fail "no share/man/$m"; continue; }
    run 0 MANWIDTH=80 man -l "$P/share/man/$m"
    has "$OUT" "gbac"
done

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "install: all checks passed ($n shipped files, prefix moved to $P)"
