#!/usr/bin/env bash
# Checks the QuickStart example's output against what README.md claims for it, so that the README's numbers are
# what the example prints today, not a line that merely exists:
#   README:  ... RMSE 0.033 vs the input's 0.195, 0 bytes per step
#   output:  RMSE of the prediction vs truth:  0.0330
#            RMSE of the noisy input vs truth: 0.1950
#            bytes allocated by steps 2..2,000: 0 (by the first step, one-time setup: ...)
# Each RMSE must round to the README's three decimals (|printed - claimed| <= 0.0005), the prediction must beat
# the noisy input by at least 2x, and the streaming steps must allocate exactly the README's bytes, which must be 0.
#
#   scripts/ci/check_quickstart.sh OUTPUT_FILE [README]
set -euo pipefail
out="$1"
readme="${2:-$(dirname "$0")/../../README.md}"

claim="$(grep -o "RMSE [0-9.]* vs the input's [0-9.]*, [0-9]* bytes per step" "$readme" | head -n1 || true)"
if [ -z "$claim" ]; then
    echo "check_quickstart: no \"RMSE A vs the input's B, N bytes per step\" claim in $readme" >&2
    exit 1
fi
read -r claimed_rmse claimed_noisy claimed_bytes < <(sed -E "s/RMSE ([0-9.]+) vs the input's ([0-9.]+), ([0-9]+) bytes per step/\1 \2 \3/" <<<"$claim")

value() {   # value PREFIX -> the number after PREFIX on the first matching output line
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$out" | grep -m1 -F "$1" | sed -E "s/^.*$(sed 's/[.[\*^$/]/\\&/g' <<<"$1")[[:space:]]*([0-9.]+).*$/\1/" || true
}
rmse="$(value 'RMSE of the prediction vs truth:')"
noisy="$(value 'RMSE of the noisy input vs truth:')"
bytes="$(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$out" | grep -m1 '^bytes allocated by steps' | sed -E 's/^bytes allocated by steps [^:]*: ([0-9]+).*$/\1/' || true)"

failed=0
fail() { echo "check_quickstart: $*" >&2; failed=1; }
number='^[0-9]+(\.[0-9]+)?$'
[[ "$rmse" =~ $number ]] || fail "no 'RMSE of the prediction vs truth' line in the output"
[[ "$noisy" =~ $number ]] || fail "no 'RMSE of the noisy input vs truth' line in the output"
[[ "$bytes" =~ ^[0-9]+$ ]] || fail "no 'bytes allocated by steps' line in the output"
if [ "$failed" = 0 ]; then
    near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.0005 + 1e-9) }'; }
    near "$rmse" "$claimed_rmse" || fail "prediction RMSE $rmse, README says $claimed_rmse"
    near "$noisy" "$claimed_noisy" || fail "noisy-input RMSE $noisy, README says $claimed_noisy"
    awk -v p="$rmse" -v n="$noisy" 'BEGIN { exit !(2 * p < n) }' || fail "prediction RMSE $rmse is not below half the input's $noisy"
    [ "$bytes" = "$claimed_bytes" ] || fail "steps allocated $bytes bytes, README says $claimed_bytes"
    [ "$bytes" = 0 ] || fail "steps allocated $bytes bytes, expected 0"
fi
if [ "$failed" = 0 ]; then
    echo "QuickStart as README.md claims: RMSE $rmse (README $claimed_rmse) vs the input's $noisy (README $claimed_noisy), $bytes bytes per step"
fi
exit "$failed"
