#!/usr/bin/env bash
# Reproduction harness for allocations in the training allocation test: builds tools/AllocProbe (the test's models,
# optimizers and iterations, one warm-up iteration by default) and runs it RUNS times per runtime configuration, with
# LOAD busy-loop processes in the background (2 by default: the machine's cores), AVX-512 off (the CI runner's AVX2 path).
# Every call that allocated is printed with the methods the JIT compiled during it (this thread / all threads).
#
# Usage: scripts/reliability/alloc-probe.sh [RUNS=20] [LOAD=2] [WARMUP=1]
#   CONFIGS="default tc0 osr0 pgo0" chooses the configurations (DOTNET_TieredCompilation=0, DOTNET_TC_OnStackReplacement=0,
#   DOTNET_TieredPGO=0).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
load=${2:-2}
warmup=${3:-1}
configs=${CONFIGS:-default tc0 osr0 pgo0}
dotnet build -c Release tools/AllocProbe -nologo -v q >/dev/null
probe=tools/AllocProbe/bin/Release/net10.0/AllocProbe
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for ((i = 0; i < load; i++)); do yes > /dev/null & pids+=($!); done
for config in $configs; do
  case "$config" in
    default) env=() ;;
    tc0) env=(DOTNET_TieredCompilation=0) ;;
    osr0) env=(DOTNET_TC_OnStackReplacement=0) ;;
    pgo0) env=(DOTNET_TieredPGO=0) ;;
    *) echo "unknown configuration $config" >&2; exit 2 ;;
  esac
  failed=0
  for ((r = 1; r <= runs; r++)); do
    out=$(env DOTNET_EnableAVX512=0 "${env[@]}" "$probe" "$warmup" 10000 || true)
    if grep -q '^alloc' <<< "$out"; then
      failed=$((failed + 1))
      echo "[$config run $r]"; grep '^alloc' <<< "$out" | head -20
    fi
  done
  echo "== $config: $failed of $runs runs allocated (load $load, warm-up $warmup)"
done
