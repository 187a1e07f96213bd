#!/usr/bin/env bash
# Before/after speed of two commits, measured side by side in one run: builds the Benchmarks program of each commit in a
# temporary worktree, then alternates their `timed` runs (per-call medians) network by network on one core, and prints
# each suite's median over the rounds and the after/before ratio.
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
  dotnet build "$work/$side/Benchmarks" -c Release -nologo -v:q >/dev/null
done
core=$(( $(nproc) > 1 ? 1 : 0 ))
# Tier-1 code after the short warm-up (older commits' `timed --network` did not set it for themselves).
export DOTNET_TC_CallCountingDelayMs=0
echo "machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  for net in $networks; do
    for side in before after; do
      taskset -c "$core" "$work/$side/Benchmarks/bin/Release/net10.0/Fixed.Benchmarks" timed --network "$net" --impl generated | sed "s/^/$side,/"
    done
  done
done > "$work/results.csv"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, alternating; medians of per-call medians (ns per timed call)"
/usr/bin/env python3 - "$work/results.csv" "$before" "$after" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) >= 9]
runs = {}
for side, suite, _name, key, _impl, _calls, median, _p25, _p75 in rows:
    runs.setdefault((key, suite), {}).setdefault(side, []).append(float(median))
print(f"| network | suite | {sys.argv[2]} | {sys.argv[3]} | after ÷ before |")
print("| --- | --- | ---: | ---: | ---: |")
for (key, suite), sides in sorted(runs.items()):
    if "before" not in sides or "after" not in sides:
        # A suite only one side has (e.g. training-batch32, added later): its number, no ratio.
        only = "before" if "before" in sides else "after"
        v = f"{statistics.median(sides[only]):,.0f}"
        print(f"| {key} | {suite} | {v if only == 'before' else 'n/a'} | {v if only == 'after' else 'n/a'} | n/a |")
        continue
    b, a = statistics.median(sides["before"]), statistics.median(sides["after"])
    print(f"| {key} | {suite} | {b:,.0f} | {a:,.0f} | {a / b:.3f} |")
PY
