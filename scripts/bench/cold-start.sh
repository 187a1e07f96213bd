#!/usr/bin/env bash
# Cold start of a NativeAOT process: wall time from spawning examples/AotStream's native binary in its "first-step" mode
# (construct the weights-compiled-in 32-unit RNN, one Step, print the output) to the arrival of that output line, RUNS
# times, timed from the parent by scripts/bench/cold_start_timer.c (posix_spawn to the first '\n' on the pipe,
# CLOCK_MONOTONIC). The same timer runs /bin/echo as a floor (what spawning any process costs on this machine) and the
# same binary's "no-model" mode (prints a line without touching Fixed: the .NET runtime's own start-up).
#
# Why timed from outside: the process cannot time its own start honestly (Process.StartTime comes from
# /proc/self/stat in clock ticks, 10 ms here, and everything before Main — exec, loader, runtime start — is what is
# being measured). The parent's clock brackets all of it, plus the pipe; exit time is recorded too.
#
# Usage: scripts/bench/cold-start.sh [--binary PATH] [--runs 50] [--out FILE.csv]
#   without --binary, publishes examples/AotStream with NativeAOT into a temporary folder first (a few minutes).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary=""
runs=50
out=""
while (( $# )); do
  case "$1" in
    --binary) binary="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

work="$(mktemp -d "${TMPDIR:-/tmp}/fixed-cold.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The timer is plain C: clang or gcc (the machine may have either; the NativeAOT publish itself works with gcc).
cc=$(command -v clang || command -v gcc || true)
[ -n "$cc" ] || { echo "cold-start: needs a C compiler (clang or gcc)" >&2; exit 1; }
"$cc" -O2 -Wall -Werror -o "$work/timer" "$repo/scripts/bench/cold_start_timer.c"

if [[ -z "$binary" ]]; then
  echo "== NativeAOT publish of examples/AotStream"
  dotnet publish "$repo/examples/AotStream" -c Release -r linux-x64 -p:PublishAot=true --artifacts-path "$work/aot" -o "$work/native" -nologo -v q >/dev/null
  binary="$work/native/AotStream"
fi
[[ -x "$binary" ]] || { echo "cold-start: no executable at $binary" >&2; exit 1; }
size=$(stat -c %s "$binary")

# A few unmeasured runs first: the binary's pages in the page cache, as on any but the very first start after boot.
"$work/timer" 3 "$binary" first-step >/dev/null
"$work/timer" "$runs" /bin/echo first-step > "$work/echo.csv"
"$work/timer" "$runs" "$binary" no-model > "$work/nomodel.csv"
"$work/timer" "$runs" "$binary" first-step > "$work/aot.csv"
if [[ "$(cut -d, -f4 "$work/aot.csv" | tail -n +2 | sort -u | wc -l)" != 1 ]]; then
  echo "cold-start: the runs printed different first lines" >&2; exit 1
fi

csv="$work/cold-start.csv"
{
  echo "program,run,first_line_us,exit_us,binary_bytes,load"
  load=$(cut -d' ' -f1 /proc/loadavg)
  tail -n +2 "$work/echo.csv" | awk -F, -v l="$load" '{ print "echo," $1 "," $2 "," $3 ",0," l }'
  tail -n +2 "$work/nomodel.csv" | awk -F, -v s="$size" -v l="$load" '{ print "aot-no-model," $1 "," $2 "," $3 "," s "," l }'
  tail -n +2 "$work/aot.csv" | awk -F, -v s="$size" -v l="$load" '{ print "aot-first-step," $1 "," $2 "," $3 "," s "," l }'
} > "$csv"

summary() { # program column
  tail -n +2 "$csv" | awk -F, -v p="$1" '$1 == p { print $3 }' | sort -n | awk '
    { v[NR] = $1 } END { m = v[int(0.5 * NR + 0.999999)]; p = v[int(0.9 * NR + 0.999999)];  # nearest rank, as the report
      printf "median %.2f ms, p90 %.2f ms, min %.2f ms, max %.2f ms over %d runs", m / 1000, p / 1000, v[1] / 1000, v[NR] / 1000, NR }'
}
echo "first line, /bin/echo (spawn floor): $(summary echo)"
echo "first line without Fixed (no-model), NativeAOT AotStream: $(summary aot-no-model)"
echo "first Step output, NativeAOT AotStream: $(summary aot-first-step)"
echo "native binary: $size bytes; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n "$out" ]]; then cp "$csv" "$out"; fi
