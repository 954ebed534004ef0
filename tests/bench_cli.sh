#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# `gbac bench nn|engine --json`: the names scripts read (issue 14's contract) are there and
# carry finite positive figures; every variant the comparison needs is measured. Speed itself
# is not asserted here (benchmarks measure it, tests do not time it): a few samples suffice.
# Usage: bench_cli.sh GBAC
set -u
GBAC=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$GBAC" bench engine --json --samples 5 >"$tmp/engine.json" 2>"$tmp/engine.err" ||
    fail "bench engine exited $?: $(cat "$tmp/engine.err")"
cat "$tmp/engine.json"
# key: a number > 0 (and finite: printf of inf/nan does not match the pattern).
for key in dsp_load_pct_16v dsp_load_pct_16v_synth rtf_4v rtf_16v dsp_load_pct_16v_vae \
           vae_decode_16v_us vae_load_pct_16v vae_load_pct_16v_bf16 vae_decode_16v_us_bf16 \
           vae_decode_pct_peak vae_decode_pct_peak_bf16 peak_macs_per_ns; do
    v=$(sed -n "s/.*\"$key\": \([0-9.]*\)[,}].*/\1/p" "$tmp/engine.json")
    [ -n "$v" ] || { fail "bench engine: \"$key\" missing or not a number"; continue; }
    awk -v v="$v" 'BEGIN { exit !(v > 0) }' || fail "bench engine: \"$key\" is $v"
done
# The contract name and the older one are the same figure.
a=$(sed -n 's/.*"vae_load_pct_16v": \([0-9.]*\).*/\1/p' "$tmp/engine.json")
b=$(sed -n 's/.*"dsp_load_pct_16v_vae": \([0-9.]*\).*/\1/p' "$tmp/engine.json")
[ "$a" = "$b" ] || fail "vae_load_pct_16v $a differs from dsp_load_pct_16v_vae $b"

"$GBAC" bench nn --json --samples 5 >"$tmp/nn.json" 2>"$tmp/nn.err" ||
    fail "bench nn exited $?: $(cat "$tmp/nn.err")"
# Every shape on scalar (f32, bf16), on the pre-issue-14 path of a SIMD family (the start of
# the comparison) and on OpenBLAS; every row with a positive time and % of peak.
for shape in dense64_tanh mlp16_128_128_64 gru8_64 conv1d16_k3; do
    for kernel in scalar scalar-bf16 openblas; do
        grep -q "\"shape\": \"$shape\", \"kernel\": \"$kernel\"," "$tmp/nn.json" ||
            fail "bench nn: no row for $shape on $kernel"
    done
    grep -q "\"shape\": \"$shape\", .*\"path\": \"v1\"" "$tmp/nn.json" ||
        fail "bench nn: no v1 (start) row for $shape"
done
rows=$(grep -c '"ns_per_frame"' "$tmp/nn.json")
good=$(awk -F'"ns_per_frame": |"pct_peak": ' 'NF == 3 && $2 + 0 > 0 && $3 + 0 > 0 { n++ }
       END { print n + 0 }' "$tmp/nn.json")
[ "$rows" -ge 20 ] && [ "$rows" -eq "$good" ] ||
    fail "bench nn: $good of $rows rows with a positive time and % of peak"
# Where the CPU has AVX-512 BF16, its native bf16 rows are measured.
if grep -q avx512_bf16 /proc/cpuinfo 2>/dev/null; then
    grep -q '"kernel": "avx512bf16-bf16"' "$tmp/nn.json" || fail "no avx512bf16-bf16 rows"
fi

# Usage errors.
"$GBAC" bench nn --samples 4 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "--samples 4: expected exit status 2"
grep -q "samples" "$tmp/err" || fail "--samples 4: message does not name the option"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo PASS
