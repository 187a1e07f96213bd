#!/usr/bin/env bash
# Before/after speed of two commits, measured side by side in one run: builds the Benchmarks program of each commit in a
# temporary worktree, then alternates their `timed` runs (per-call medians) network by network on one core, and prints
# each suite's median over the rounds and the after/before ratio. A commit older than the JIT-quiet warm-up
# (Benchmarks/Timing/JitWarmUp.cs) gets it patched into its temporary worktree's harness, so both sides warm up alike.
#
# Usage: scripts/bench/compare_commits.sh BEFORE [AFTER=HEAD] [ROUNDS=5] [NETWORKS="gru8 gru32 lstm32 gru64"]
set -euo pipefail
cd "$(dirname "$0")/../.."
before=$(git rev-parse --short "${1:?usage: compare_commits.sh BEFORE [AFTER] [ROUNDS] [NETWORKS]}")
after=$(git rev-parse --short "${2:-HEAD}")
rounds=${3:-5}
networks=${4:-gru8 gru32 lstm32 gru64}
work=$(mktemp -d "${TMPDIR:-/tmp}/fixed-compare.XXXXXX")
trap 'git worktree remove --force "$work/before" >/dev/null 2>&1 || true; git worktree remove --force "$work/after" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
for side in before after; do
  commit=$([ "$side" = before ] && echo "$before" || echo "$after")
  git worktree add -q --detach "$work/$side" "$commit"
  if [ ! -f "$work/$side/Benchmarks/Timing/JitWarmUp.cs" ]; then
    # An older commit's `timed` warmed up for a fixed 150 ms, which a training iteration's tier-1 compilation can outlast:
    # give it the current JIT-quiet warm-up (Benchmarks/Timing/JitWarmUp.cs) so that both sides warm up alike. Only the
    # harness of the temporary worktree is patched; the library it measures is the commit's own.
    cp Benchmarks/Timing/JitWarmUp.cs "$work/$side/Benchmarks/Timing/"
    /usr/bin/env python3 - "$work/$side/Benchmarks/Timing/TimedRunner.cs" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
old = """        var clock = Stopwatch.StartNew();
        int rounds = 0;
        while (clock.Elapsed < WarmTime || rounds < warmRounds)
        {
            time(samples.AsSpan(0, chunk));
            rounds++;
        }
"""
new = """        JitWarmUp.UntilQuiet(() => time(samples.AsSpan(0, chunk)), WarmTime, warmRounds);
        var clock = Stopwatch.StartNew();
"""
if text.count(old) != 1:
    sys.exit(f"compare_commits.sh: the warm-up loop of {path} is not the expected one; patch it by hand")
open(path, "w").write(text.replace(old, new))
print(f"compare_commits.sh: JIT-quiet warm-up patched into {path}", file=sys.stderr)
PY
  fi
  dotnet build "$work/$side/Benchmarks" -c Release -nologo -v:q >/dev/null
done
core=$(( $(nproc) > 1 ? 1 : 0 ))
# Tier-1 code after the short warm-up (older commits' `timed --network` did not set it for themselves).
export DOTNET_TC_CallCountingDelayMs=0
echo "machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') (family $(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  for net in $networks; do
    for side in before after; do
      taskset -c "$core" "$work/$side/Benchmarks/bin/Release/net10.0/Fixed.Benchmarks" timed --network "$net" --impl generated | sed "s/^/$side,/"
    done
  done
done > "$work/results.csv"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, alternating; medians of per-call medians (ns per timed call)"
# The lowest run of each side too: on a shared host, runs of one build come in modes 10-25 % apart, and the median mixes
# them when the modes fall unevenly on the two sides. (On the Zen 4 VM of 2026-12-03, GRU 1->8, whose weights are under
# 1 KB, showed no modes where GRU and LSTM 1->32, 13-17 KB, did: most likely another guest sharing the core's caches.)
/usr/bin/env python3 - "$work/results.csv" "$before" "$after" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) >= 9]
runs = {}
for side, suite, _name, key, _impl, _calls, median, _p25, _p75 in rows:
    runs.setdefault((key, suite), {}).setdefault(side, []).append(float(median))
print(f"| network | suite | {sys.argv[2]} | {sys.argv[3]} | after ÷ before | lowest run, before / after | ratio of lowest |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for (key, suite), sides in sorted(runs.items()):
    if "before" not in sides or "after" not in sides:
        # A suite only one side has (e.g. training-batch32, added later): its number, no ratio.
        only = "before" if "before" in sides else "after"
        v = f"{statistics.median(sides[only]):,.0f}"
        print(f"| {key} | {suite} | {v if only == 'before' else 'n/a'} | {v if only == 'after' else 'n/a'} | n/a | | |")
        continue
    b, a = statistics.median(sides["before"]), statistics.median(sides["after"])
    lb, la = min(sides["before"]), min(sides["after"])
    print(f"| {key} | {suite} | {b:,.0f} | {a:,.0f} | {a / b:.3f} | {lb:,.0f} / {la:,.0f} | {la / lb:.3f} |")
PY
