#!/usr/bin/env bash
# Self-test of the CI logic (scripts/ci/lib.sh, check_quickstart.sh, check_roundtrip_all.sh --files-only,
# check_step_disasm.sh --check, check_training_disasm.sh --check): feeds
# canned test-runner output to the real helpers and checks that CI fails whenever it would otherwise be green
# without having tested: no test stage ran, zero tests, skipped tests, no summary, failures; and that a good run
# passes (so that the failing cases do not fail for an unrelated reason). Seconds, no dotnet; .ci/run runs it
# first (stage ci-selftest).
#
#   bash scripts/ci/selftest.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
checks=0
bad=0

pass() { echo "ok: $1"; }
fail() { echo "FAIL: $1"; [ -n "${2:-}" ] && sed 's/^/    | /' "$2"; bad=$((bad + 1)); }

mtp() {   # mtp TOTAL FAILED SUCCEEDED SKIPPED [ERROR] -> an MTP summary as `dotnet test` prints it (SDK 10)
    local verdict="Passed!"
    [ "$2" -gt 0 ] && verdict="Failed!"
    [ "$1" -eq 0 ] && verdict="Zero tests ran"
    printf 'Running tests from Runtime.Tests/bin/Release/net10.0/Fixed.Tests.dll (net10.0|x64)\n'
    printf '\e[32mTest run summary: %s\e[m - bin/Release/net10.0/Fixed.Tests.dll (net10.0|x64)\n' "$verdict"
    if [ -n "${5:-}" ]; then printf '  error: %s\n\n' "$5"; fi
    printf '  total: %s\n  failed: %s\n  succeeded: %s\n  skipped: %s\n  duration: 801ms\n' "$1" "$2" "$3" "$4"
}
xunit() { # xunit TOTAL ERRORS FAILED SKIPPED NOTRUN -> the xunit.v3 in-process runner's summary
    printf '=== TEST EXECUTION SUMMARY ===\n   Fixed.Tests  Total: %s, Errors: %s, Failed: %s, Skipped: %s, Not Run: %s, Time: 60.591s\n' "$@"
}

# scenario NAME EXPECT(pass|fail) [GREP] <<< 'bash using lib.sh': runs the snippet in a fresh shell with lib.sh
# sourced, then ci_finish, under CI_ONLY=$SCENARIO_CI_ONLY; EXPECT is the outcome CI must have; GREP, if given,
# must occur in the output. Prints the output's last line into $TMP/last.
scenario() {
    local name="$1" expect="$2" want="${3:-}" script rc got=pass
    script="$(cat)"
    checks=$((checks + 1))
    CI_ONLY="${SCENARIO_CI_ONLY:-}" CI_SKIP="" CI_LOG_DIR="$TMP/logs-$checks" bash -c '
        set -euo pipefail
        source scripts/ci/lib.sh
        '"$script"'
        ci_finish 0' > "$TMP/out" 2>&1
    rc=$?
    tail -n1 "$TMP/out" > "$TMP/last"
    [ "$rc" -ne 0 ] && got=fail
    if [ "$got" != "$expect" ]; then
        fail "$name: CI would $got (exit $rc), expected it to $expect" "$TMP/out"
    elif [ -n "$want" ] && ! grep -qF -- "$want" "$TMP/out"; then
        fail "$name: output lacks \"$want\"" "$TMP/out"
    else
        pass "$name"
    fi
}

mtp 318 0 318 0 > "$TMP/good.log"
mtp 0 0 0 0 1 > "$TMP/zero.log"
mtp 318 0 316 2 > "$TMP/skipped.log"
mtp 318 2 316 0 > "$TMP/failed.log"
echo "Build succeeded." > "$TMP/nosummary.log"
xunit 395 0 0 0 0 > "$TMP/xgood.log"
xunit 395 0 0 1 0 > "$TMP/xskipped.log"
xunit 395 0 0 0 3 > "$TMP/xnotrun.log"

scenario "a good run passes" pass "713 tests: 713 passed, 0 failed, 0 skipped" <<CASE
run_stage build true
run_test_stage test-avx512 mtp cat "$TMP/good.log"
run_test_stage test-neon xunit cat "$TMP/xgood.log"
CASE
checks=$((checks + 1))
if [ "$(cat "$TMP/last")" = "713 passed, 0 failed" ]; then pass "the last line is exactly \"N passed, M failed\""
else fail "the last line is \"$(cat "$TMP/last")\", not \"713 passed, 0 failed\""; fi
scenario "no test stage at all fails" fail "no test stage ran" <<CASE
run_stage build true
CASE
SCENARIO_CI_ONLY=build scenario "CI_ONLY=build (every test stage skipped) fails, each listed" fail "TEST STAGES NOT RUN (2)" <<CASE
run_stage build true
run_test_stage test-avx512 mtp cat "$TMP/good.log"
run_test_stage test-sse mtp cat "$TMP/good.log"
CASE
SCENARIO_CI_ONLY=test-avx512 scenario "CI_ONLY=one test stage runs it and lists the others as not run" pass "test-sse (CI_ONLY/CI_SKIP)" <<CASE
run_test_stage test-avx512 mtp cat "$TMP/good.log"
run_test_stage test-sse mtp cat "$TMP/good.log"
CASE
scenario "a test stage skipped for a reason is listed" pass "test-neon (FIXED_CI_SKIP_ARM64=1)" <<CASE
run_test_stage test-avx512 mtp cat "$TMP/good.log"
skip_test_stage test-neon "FIXED_CI_SKIP_ARM64=1"
CASE
scenario "zero tests ran fails" fail "test-avx512 (zero tests ran)" <<CASE
run_test_stage test-avx512 mtp bash -c 'cat "$TMP/zero.log"; exit 8'
CASE
scenario "a zero-test stage fails even if another stage ran tests" fail "test-sse (zero tests ran)" <<CASE
run_test_stage test-avx512 mtp cat "$TMP/good.log"
run_test_stage test-sse mtp cat "$TMP/zero.log"
CASE
scenario "skipped tests (MTP) fail, counted per stage and in total" fail "318 tests: 316 passed, 0 failed, 2 skipped" <<CASE
run_test_stage test-avx512 mtp cat "$TMP/skipped.log"
CASE
scenario "skipped tests (MTP) are named in the failures" fail "test-avx512 (2 skipped)" <<CASE
run_test_stage test-avx512 mtp cat "$TMP/skipped.log"
CASE
scenario "skipped tests (xunit) fail" fail "test-neon (1 skipped)" <<CASE
run_test_stage test-neon xunit cat "$TMP/xskipped.log"
CASE
scenario "not-run tests (xunit) fail" fail "test-neon (3 skipped)" <<CASE
run_test_stage test-neon xunit cat "$TMP/xnotrun.log"
CASE
scenario "failed tests fail" fail "2 failed" <<CASE
run_test_stage test-avx512 mtp bash -c 'cat "$TMP/failed.log"; exit 2'
CASE
scenario "failed tests fail even if the runner exits 0" fail "test-avx512 (2 failed)" <<CASE
run_test_stage test-avx512 mtp cat "$TMP/failed.log"
CASE
scenario "a test stage without a summary fails" fail "test-avx512 (no test summary)" <<CASE
run_test_stage test-avx512 mtp cat "$TMP/nosummary.log"
CASE
scenario "a failing plain stage fails" fail "example-quickstart (exit 1)" <<CASE
run_test_stage test-avx512 mtp cat "$TMP/good.log"
run_stage example-quickstart false
CASE

# --- QuickStart output against the README's claim ---------------------------------------------------------------
quickstart_out() { # quickstart_out RMSE NOISY BYTES
    printf '     t    noisy input   prediction   truth (next clean value)\n\n'
    printf 'RMSE of the prediction vs truth:  %s\nRMSE of the noisy input vs truth: %s\n' "$1" "$2"
    printf 'bytes allocated by steps 2..2,000: %s (by the first step, one-time setup: 0)\n' "$3"
    printf 'time per Step (median of 5 runs of 1,000,000 steps): 50.0 ns\n'
}
printf '%s\n' "| x | streams a noisy sine: RMSE 0.033 vs the input's 0.195, 0 bytes per step |" > "$TMP/README.md"
echo "no claim here" > "$TMP/README-none.md"
quickstart_case() { # quickstart_case NAME EXPECT RMSE NOISY BYTES [README]
    local got=pass
    checks=$((checks + 1))
    quickstart_out "$3" "$4" "$5" > "$TMP/qs.out"
    bash scripts/ci/check_quickstart.sh "$TMP/qs.out" "${6:-$TMP/README.md}" > "$TMP/qs.log" 2>&1 || got=fail
    if [ "$got" = "$2" ]; then pass "quickstart: $1"; else fail "quickstart: $1: check would $got, expected $2" "$TMP/qs.log"; fi
}
quickstart_case "as the README claims passes" pass 0.0331 0.1950 0
quickstart_case "prediction RMSE above the claim fails" fail 0.0390 0.1950 0
quickstart_case "prediction RMSE far below the claim fails (README out of date)" fail 0.0200 0.1950 0
quickstart_case "noisy baseline unlike the claim fails" fail 0.0331 0.3000 0
quickstart_case "allocating steps fail" fail 0.0331 0.1950 24
quickstart_case "a README without the claim fails" fail 0.0331 0.1950 0 "$TMP/README-none.md"
checks=$((checks + 1))
echo "Unhandled exception." > "$TMP/qs.out"
if bash scripts/ci/check_quickstart.sh "$TMP/qs.out" "$TMP/README.md" > /dev/null 2>&1; then
    fail "quickstart: output without the result lines passed"
else pass "quickstart: output without the result lines fails"; fi
checks=$((checks + 1))
if grep -q "RMSE [0-9.]* vs the input's [0-9.]*, [0-9]* bytes per step" README.md; then pass "README.md holds the QuickStart claim"
else fail "README.md no longer holds the QuickStart claim the examples stage checks"; fi

# --- roundtrip/ holds exactly what this run's tests wrote ------------------------------------------------------
roundtrip_case() { # roundtrip_case NAME EXPECT [--newer STAMP]
    local name="$1" expect="$2" got=pass
    shift 2
    checks=$((checks + 1))
    ROUNDTRIP_DIR="$TMP/rt" FIXTURE_DIR="$TMP/fx" bash scripts/check_roundtrip_all.sh "$@" --files-only > "$TMP/rt.log" 2>&1 || got=fail
    if [ "$got" = "$expect" ]; then pass "roundtrip: $name"; else fail "roundtrip: $name: check would $got, expected $expect" "$TMP/rt.log"; fi
}
mkdir -p "$TMP/fx" "$TMP/rt"
for n in a b c; do touch "$TMP/fx/$n.weights.safetensors" "$TMP/fx/$n.data.safetensors"; done
roundtrip_case "an empty directory fails" fail
touch "$TMP/old"
sleep 0.05
touch "$TMP/rt/a.weights.safetensors" "$TMP/rt/b.weights.safetensors"
roundtrip_case "a missing file fails" fail
touch "$TMP/rt/c.weights.safetensors"
roundtrip_case "one file per fixture passes" pass
roundtrip_case "files newer than the stamp pass" pass --newer "$TMP/old"
sleep 0.05
touch "$TMP/new"
roundtrip_case "files older than the stamp fail" fail --newer "$TMP/new"
touch "$TMP/rt/z.weights.safetensors"
roundtrip_case "a file no fixture asks for fails" fail

# --- the Step disassembly check (scripts/ci/check_step_disasm.sh --check) ------------------------------------------
# Listings as the JIT writes them: each ends with "; Total bytes of code" (the cases below leave it out; RAW=1 keeps the
# input as it is, for the case of two listings interleaved).
jit_listing() { if [ -n "${RAW:-}" ]; then cat; else awk 'NR > 1 && /^; Assembly listing/ { print "; Total bytes of code 1" } { print } END { print "; Total bytes of code 1" }'; fi; }
disasm_case() { # disasm_case NAME EXPECT [GREP] < listing; DISASM_MODE=--check-tier1 counts only the (Tier1) and (FullOpts) listings
    local name="$1" expect="$2" want="${3:-}" got=pass mode="${DISASM_MODE:---check}" label="step disasm"
    [ "$mode" = --check-tier1 ] && label="step disasm (tier 1)"
    checks=$((checks + 1))
    jit_listing > "$TMP/step.asm"
    bash scripts/ci/check_step_disasm.sh "$mode" "$TMP/step.asm" > "$TMP/disasm.log" 2>&1 || got=fail
    if [ "$got" != "$expect" ]; then fail "$label: $name: check would $got, expected $expect" "$TMP/disasm.log"
    elif [ -n "$want" ] && ! grep -qF -- "$want" "$TMP/disasm.log"; then fail "$label: $name: output lacks '$want'" "$TMP/disasm.log"
    else pass "$label: $name"; fi
}
listing_head='; Assembly listing for method Fixed.Engine.RecurrentEngine`1[Gru1To32+FixedShape]:Step(Fixed.Engine.ParameterStore`1[Gru1To32+FixedShape],System.Span`1[float]) (FullOpts)'
cold='       call     [Fixed.Engine.RecurrentEngine`1[Gru1To32+FixedShape]:ThrowStepLengths(System.ReadOnlySpan`1[float])]
       call     [Fixed.Engine.ParameterStore`1[Gru1To32+FixedShape]:Repack():this]'
disasm_case "straight-line code with only the error and repack calls passes" pass "no call, no range check" < <(printf '%s\n       vfmadd231ps zmm0, zmm12, zmmword ptr [rdx]\n%s\n       ret\n' "$listing_head" "$cold")
disasm_case "a call to a kernel fails and is printed" fail "CALL:        call     [Fixed.PackedMath:Wide" < <(printf '%s\n%s\n       call     [Fixed.PackedMath:Wide[Fixed.Simd512,Fixed.Six](byref,int,int,byref,byref,byref)]\n       ret\n' "$listing_head" "$cold")
disasm_case "a call to a getter the JIT did not inline fails" fail "get_H" < <(printf '%s\n       call     [Fixed.Engine.RecurrentEngine`1[Gru1To32+FixedShape]:get_H():int]\n       ret\n' "$listing_head")
disasm_case "a range-check helper fails" fail "RANGE CHECK" < <(printf '%s\n       ret\n       call     CORINFO_HELP_RNGCHKFAIL\n       int3\n' "$listing_head")
disasm_case "a listing without Step fails (nothing was checked)" fail "no listing of a method named Step" < <(printf '; Assembly listing for method Fixed.Engine.RecurrentEngine`1[Gru1To32+FixedShape]:CellStep[Fixed.Simd512](int) (FullOpts)\n       call     [Fixed.PackedMath:Wide]\n')
disasm_case "calls in other methods of the listing are not Step's" pass < <(printf '%s\n       ret\n; Assembly listing for method Fixed.Engine.RecurrentEngine`1[Gru1To32+FixedShape]:CellStep[Fixed.Simd512](int) (FullOpts)\n       call     [Fixed.PackedMath:Wide]\n' "$listing_head")
model_step='; Assembly listing for method Gru1To32:Step(byref,System.ReadOnlySpan`1[float],System.Span`1[float]):this (FullOpts)'
engine_call='       call     [Fixed.Engine.RecurrentEngine`1[Gru1To32+FixedShape]:Step(Fixed.Engine.ParameterStore`1[Gru1To32+FixedShape],System.Span`1[float])]'
disasm_case "a model's Step calling the engine's Step passes" pass "allowed (a model's Step into the engine's" < <(printf '%s\n%s\n       ret\n%s\n       ret\n' "$model_step" "$engine_call" "$listing_head")
disasm_case "a listing without the engine's own Step fails" fail "no listing of the engine's own Step" < <(printf '%s\n       vfmadd231ps zmm0, zmm12, zmmword ptr [rdx]\n       ret\n' "$model_step")
tier1_head="${listing_head% (FullOpts)} (Tier1)"
tier0_head="${listing_head% (FullOpts)} (Tier0)"
tier1_check() { DISASM_MODE=--check-tier1 disasm_case "$@"; }
tier1_check "calls in a tier-0 listing are not counted" pass "no call, no range check" < <(printf '%s\n       call     [Fixed.Activations:Tanh(int)]\n       ret\n%s\n       ret\n' "$tier0_head" "$tier1_head")
tier1_check "no tier-1 listing fails" fail "no Tier1|FullOpts listing" < <(printf '%s\n       ret\n' "$tier0_head")
tier1_check "a fully optimized engine Step (compiled so at its first call) counts" pass "no call, no range check" < <(printf '%s\n       call     [Fixed.Activations:Tanh(int)]\n       ret\n%s\n       ret\n' "$tier0_head" "$listing_head")
tier1_check "a call in a fully optimized engine Step fails" fail "CALL:" < <(printf '%s\n       call     [Fixed.Activations:Tanh(int)]\n       ret\n' "$listing_head")
RAW=1 tier1_check "listings interleaved by two compilations at once fail (not checked)" fail "interleaved" < <(printf '%s\n       vaddps zmm0, zmm0, zmm1\n%s\n       ret\n; Total bytes of code 10\n       ret\n; Total bytes of code 20\n' "$tier1_head" "$tier1_head")
caller_head='; Assembly listing for method Networks:RunGru1To32():float (Tier1)'
tier1_check "a caller calling Step, the BCL and a Throw* passes" pass "caller: Networks:RunGru1To32" < <(printf '%s\n       ret\n%s\n       call     [Gru1To32:Step(byref)]\n       call     [System.MathF:Sin(float):float]\n       call     [Fixed.Engine.ParameterStore`1[Gru1To32+FixedShape]:ThrowWriteDuringInference():this]\n' "$tier1_head" "$caller_head")
tier1_check "a caller left with a call into the library (the step inlined in part) fails" fail "CALL IN THE CALLER" < <(printf '%s\n       ret\n%s\n       call     [Fixed.Activations:Sigmoid(System.Runtime.Intrinsics.Vector512`1[float])]\n' "$tier1_head" "$caller_head")

# --- the training disassembly check (scripts/ci/check_training_disasm.sh --check) -----------------------------------
training_case() { # training_case NAME EXPECT [GREP] < listing
    local name="$1" expect="$2" want="${3:-}" got=pass
    checks=$((checks + 1))
    jit_listing > "$TMP/training.asm"
    bash scripts/ci/check_training_disasm.sh --check "$TMP/training.asm" > "$TMP/training.log" 2>&1 || got=fail
    if [ "$got" != "$expect" ]; then fail "training disasm: $name: check would $got, expected $expect" "$TMP/training.log"
    elif [ -n "$want" ] && ! grep -qF -- "$want" "$TMP/training.log"; then fail "training disasm: $name: output lacks '$want'" "$TMP/training.log"
    else pass "training disasm: $name"; fi
}
sequence_head='; Assembly listing for method Fixed.Engine.RecurrentEngine`1[Rnn1To32+FixedShape]:Sequence(Fixed.Engine.ParameterStore`1[Rnn1To32+FixedShape],int) (Tier1)'
group_head='; Assembly listing for method Fixed.Engine.RecurrentEngine`1[Rnn1To32+FixedShape]:Group(byref,int) (FullOpts)'
kernel_call='       call     [Fixed.Engine.RecurrentEngine`1[Rnn1To32+FixedShape]:RecordStraightRnn(System.ReadOnlySpan`1[float])]'
training_case "calls to kernels only pass" pass "none to a member meant to be inlined" < <(printf '%s\n%s\n       ret\n%s\n       ret\n' "$sequence_head" "$kernel_call" "$group_head")
training_case "a shape constant left as a call fails and is printed" fail "NOT INLINED:        call     [Fixed.Engine.RecurrentEngine\`1[Rnn1To32+FixedShape]:get_L()" < <(printf '%s\n       call     [Fixed.Engine.RecurrentEngine`1[Rnn1To32+FixedShape]:get_L():int]\n       ret\n%s\n       ret\n' "$sequence_head" "$group_head")
training_case "a span slice left as a call fails" fail "Slice" < <(printf '%s\n       ret\n%s\n       call     [System.Span`1[float]:Slice(int,int):System.Span`1[float]:this]\n' "$sequence_head" "$group_head")
training_case "the loss's inlined path left as a call fails" fail "LossFunctions:Apply" < <(printf '%s\n       call     [Fixed.LossFunctions:Apply(int,Fixed.CrossEntropyOptions,System.Span`1[float],System.ReadOnlySpan`1[float],float):double]\n%s\n       ret\n' "$sequence_head" "$group_head")
training_case "calls in a tier-0 listing are not counted" pass < <(printf '%s\n       call     [Fixed.Simd512:Load(byref,long):Fixed.Simd512]\n%s\n       ret\n%s\n       ret\n' "${sequence_head% (Tier1)} (Tier0)" "$sequence_head" "$group_head")
training_case "no optimized Group listing fails (nothing of the batch was checked)" fail "no optimized listing" < <(printf '%s\n       ret\n' "$sequence_head")

echo "selftest: $checks checks, $bad failed"
[ "$bad" -eq 0 ]
