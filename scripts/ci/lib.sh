# shellcheck shell=bash
# Stage helpers for .ci/run (sourced, not executed). Every stage is timed, its output is echoed and
# saved to $CI_LOG_DIR/<name>.log, and failures are collected instead of aborting the run, so the
# final "N passed, M failed" line always covers everything that ran.
#
#   run_stage NAME CMD...                  any command; fails the run if it exits non-zero
#   run_test_stage NAME FORMAT CMD...      a test run; FORMAT = mtp | xunit (see the parsers below);
#                                          adds its counts to the totals and fails the run if the command
#                                          exits non-zero, prints no summary, runs zero tests, has failures
#                                          or skipped tests (a skipped test left in the suite is a defect)
#   record_counts NAME PASSED FAILED [SKIPPED]   add counts from a test stage that parsed its own results
#   skip_stage NAME REASON                 note a stage that was not run (shown in the final table)
#   skip_test_stage NAME REASON            the same for a test stage: also listed under "test stages not
#                                          run" at the end
#   ci_finish SECONDS                      the summary; fails the run if any stage failed, if no test stage
#                                          ran or the test stages ran zero tests in total (e.g. CI_ONLY=build),
#                                          or if any test was skipped
#
# Optional per call: STAGE_TIMEOUT=SECONDS run_stage ...  (killed -> counted as failed, exit 124);
# CMD must then be an executable, not a shell function (timeout(1) runs it).
# Stages named in CI_SKIP (space-separated) are skipped; if CI_ONLY is set, only the stages it names run.

CI_LOG_DIR="${CI_LOG_DIR:-artifacts/ci}"
CI_TOTAL_PASSED=0
CI_TOTAL_FAILED=0
CI_TOTAL_SKIPPED=0
CI_TOTAL_TESTS=0
CI_TEST_STAGES_RUN=0
CI_TEST_STAGES_NOT_RUN=()
CI_FAILURES=()
CI_TABLE=()
CI_LAST_RC=0
CI_LAST_LOG=""

_ci_now() { date +%s; }
_ci_fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# True when NAME should run under CI_ONLY / CI_SKIP.
stage_enabled() {
    local name="$1" s
    if [ -n "${CI_ONLY:-}" ]; then
        for s in $CI_ONLY; do [ "$s" = "$name" ] && return 0; done
        return 1
    fi
    for s in ${CI_SKIP:-}; do [ "$s" = "$name" ] && return 1; done
    return 0
}

skip_stage() {
    echo "=== [$1] skipped: $2"
    CI_TABLE+=("$(printf '%-22s %-8s %s' "$1" "skipped" "$2")")
}

skip_test_stage() {
    echo "=== [$1] TEST STAGE NOT RUN: $2"
    CI_TABLE+=("$(printf '%-22s %-8s %s' "$1" "NOT RUN" "test stage: $2")")
    CI_TEST_STAGES_NOT_RUN+=("$1 ($2)")
}

# run_stage NAME CMD... -> sets CI_LAST_RC and CI_LAST_LOG; always returns 0.
run_stage() {
    local name="$1"; shift
    CI_LAST_RC=0
    CI_LAST_LOG="$CI_LOG_DIR/$name.log"
    if ! stage_enabled "$name"; then
        skip_stage "$name" "CI_ONLY/CI_SKIP"
        CI_LAST_RC=skip
        return 0
    fi
    mkdir -p "$CI_LOG_DIR"
    echo
    echo "=== [$name] $*"
    local start rc
    start=$(_ci_now)
    set +e
    if [ -n "${STAGE_TIMEOUT:-}" ]; then
        timeout --kill-after=30 "$STAGE_TIMEOUT" "$@" 2>&1 | tee "$CI_LAST_LOG"
    else
        "$@" 2>&1 | tee "$CI_LAST_LOG"
    fi
    rc=${PIPESTATUS[0]}
    set -e
    local elapsed=$(($(_ci_now) - start))
    CI_LAST_RC=$rc
    CI_LAST_ELAPSED=$elapsed
    echo "=== [$name] exit $rc, $(_ci_fmt "$elapsed")"
    if [ "$rc" -ne 0 ]; then
        [ "$rc" -eq 124 ] && echo "=== [$name] TIMED OUT after ${STAGE_TIMEOUT}s"
        CI_FAILURES+=("$name (exit $rc)")
    fi
    # Test stages add their own row (with counts) after parsing.
    if [ -z "${_CI_IN_TEST_STAGE:-}" ]; then
        CI_TABLE+=("$(printf '%-22s %-8s %s' "$name" "$(_ci_fmt "$elapsed")" "$([ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc)")")")
    fi
    return 0
}

# Microsoft Testing Platform summary, as printed by `dotnet test` (SDK 10, global.json runner = MTP):
#   Test run summary: Passed!        (or Failed! / Zero tests ran)
#     total: 318
#     failed: 2
#     succeeded: 316
#     skipped: 0
#     duration: 801ms
# A run that went wrong outside any test (zero tests ran, test host crashed) also has "  error: N"
# right after the first line (then a blank line); those count as failed.
# Prints "TOTAL PASSED FAILED SKIPPED" from the last summary block, or nothing if there is none.
parse_mtp_summary() {
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1" | awk '
        /^Test run summary:/ { found = 1; total = ""; failed = 0; errors = 0; succeeded = 0; skipped = 0; next }
        found && /^[[:space:]]+total:[[:space:]]*[0-9]+[[:space:]]*$/     { total = $2 }
        found && /^[[:space:]]+failed:[[:space:]]*[0-9]+[[:space:]]*$/    { failed = $2 }
        found && /^[[:space:]]+error:[[:space:]]*[0-9]+[[:space:]]*$/     { errors = $2 }
        found && /^[[:space:]]+succeeded:[[:space:]]*[0-9]+[[:space:]]*$/ { succeeded = $2 }
        found && /^[[:space:]]+skipped:[[:space:]]*[0-9]+[[:space:]]*$/   { skipped = $2 }
        END { if (found && total != "") print total, succeeded, failed + errors, skipped }'
}

# xunit.v3 in-process runner summary (the test executable run directly, e.g. under qemu):
#   === TEST EXECUTION SUMMARY ===
#      Fixed.Tests  Total: 395, Errors: 0, Failed: 0, Skipped: 0, Not Run: 0, Time: 60.591s
# Passed = Total - Failed - Skipped - Not Run; failed = Failed + Errors (errors are fixture/cleanup
# failures that belong to no single test); skipped = Skipped + Not Run. Uses the last such line.
# Prints "TOTAL PASSED FAILED SKIPPED", or nothing if there is no such line.
parse_xunit_summary() {
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1" | awk '
        /Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+, Not Run: [0-9]+/ {
            line = $0
            sub(/.*Total: /, "", line)
            gsub(/[A-Za-z ]+: /, "", line)   # -> "395,0,0,0,0,60.591s"
            split(line, v, ",")
            total = v[1]; errors = v[2]; failed = v[3]; skipped = v[4]; notrun = v[5]; found = 1
        }
        END { if (found) print total, total - failed - skipped - notrun, failed + errors, skipped + notrun }'
}

# record_counts NAME PASSED FAILED [SKIPPED]: a test stage that ran; adds to the totals.
record_counts() {
    local skipped="${4:-0}"
    CI_TOTAL_PASSED=$((CI_TOTAL_PASSED + $2))
    CI_TOTAL_FAILED=$((CI_TOTAL_FAILED + $3))
    CI_TOTAL_SKIPPED=$((CI_TOTAL_SKIPPED + skipped))
    CI_TOTAL_TESTS=$((CI_TOTAL_TESTS + $2 + $3 + skipped))
    CI_TEST_STAGES_RUN=$((CI_TEST_STAGES_RUN + 1))
    if [ "$skipped" -gt 0 ]; then
        echo "=== [$1] $skipped TEST(S) SKIPPED: a skipped test is a defect; remove the skip or the test"
        CI_FAILURES+=("$1 ($skipped skipped)")
    fi
}

# run_test_stage NAME FORMAT CMD...
run_test_stage() {
    local name="$1" format="$2"; shift 2
    if ! stage_enabled "$name"; then
        skip_test_stage "$name" "CI_ONLY/CI_SKIP"
        CI_LAST_RC=skip
        return 0
    fi
    _CI_IN_TEST_STAGE=1 run_stage "$name" "$@"
    local counts total passed failed skipped status
    case "$format" in
        mtp) counts=$(parse_mtp_summary "$CI_LAST_LOG") ;;
        xunit) counts=$(parse_xunit_summary "$CI_LAST_LOG") ;;
        *) echo "run_test_stage: unknown format '$format'"; counts="" ;;
    esac
    if [ -z "$counts" ]; then
        echo "=== [$name] no test summary found in the output"
        CI_FAILURES+=("$name (no test summary)")
        CI_TEST_STAGES_RUN=$((CI_TEST_STAGES_RUN + 1))
        status="FAILED (no summary, exit $CI_LAST_RC)"
    else
        read -r total passed failed skipped <<<"$counts"
        record_counts "$name" "$passed" "$failed" "$skipped"
        echo "=== [$name] $total tests: $passed passed, $failed failed, $skipped skipped"
        status="$passed passed, $failed failed"
        [ "$skipped" -gt 0 ] && status="$status, $skipped SKIPPED"
        if [ "$total" -eq 0 ]; then
            CI_FAILURES+=("$name (zero tests ran)")
            status="FAILED (zero tests)"
        elif [ "$failed" -gt 0 ] && [ "$CI_LAST_RC" -eq 0 ]; then
            CI_FAILURES+=("$name ($failed failed)")
        fi
        [ "$CI_LAST_RC" -ne 0 ] && status="$status, exit $CI_LAST_RC"
    fi
    CI_TABLE+=("$(printf '%-22s %-8s %s' "$name" "$(_ci_fmt "$CI_LAST_ELAPSED")" "$status")")
    return 0
}

# Prints the stage table, then the final count line as the very last line; returns 1 on any failure,
# and also when no test stage ran or the test stages ran zero tests in total: CI that tested nothing
# is not green.
ci_finish() {
    local total_elapsed="$1" row f
    if [ "$CI_TEST_STAGES_RUN" -eq 0 ]; then
        CI_FAILURES+=("no test stage ran")
    elif [ "$CI_TOTAL_TESTS" -eq 0 ]; then
        CI_FAILURES+=("the test stages ran zero tests in total")
    fi
    echo
    echo "=== stages"
    for row in "${CI_TABLE[@]}"; do echo "  $row"; done
    echo "  $(printf '%-22s %-8s' total "$(_ci_fmt "$total_elapsed")")"
    if [ "${#CI_TEST_STAGES_NOT_RUN[@]}" -gt 0 ]; then
        echo "=== TEST STAGES NOT RUN (${#CI_TEST_STAGES_NOT_RUN[@]}):"
        for f in "${CI_TEST_STAGES_NOT_RUN[@]}"; do echo "  $f"; done
    fi
    if [ "${#CI_FAILURES[@]}" -gt 0 ]; then
        echo "=== FAILED:"
        for f in "${CI_FAILURES[@]}"; do echo "  $f"; done
    fi
    echo "=== $CI_TEST_STAGES_RUN test stage(s), $CI_TOTAL_TESTS tests: $CI_TOTAL_PASSED passed, $CI_TOTAL_FAILED failed, $CI_TOTAL_SKIPPED skipped"
    echo "$CI_TOTAL_PASSED passed, $CI_TOTAL_FAILED failed"
    [ "${#CI_FAILURES[@]}" -eq 0 ]
}
