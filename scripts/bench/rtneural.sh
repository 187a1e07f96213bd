#!/usr/bin/env bash
# RTNeural (C++, compile-time ModelT API, Eigen backend) side by side with our Step, in one run on one core.
#
#   RTNEURAL_DIR=/path/to/RTNeural scripts/bench/rtneural.sh [--out FILE] [--runs 7] [--steps 1000000] [--no-build]
#
# RTNEURAL_DIR is a checkout of https://github.com/jatinchowdhury18/RTNeural (nothing of it is copied into this
# repository; the harness is only built against it). Steps:
#   1. Eigen from Debian's libeigen3-dev (installed with apt-get when missing; needs root).
#   2. Benchmarks/rtneural/harness.cpp built with -O3 -march=native -std=c++17 -DRTNEURAL_USE_EIGEN=1
#      -DRTNEURAL_DEFAULT_ALIGNMENT=32.
#   3. `Fixed.Benchmarks rtneural export`: the generated models' weights (seed 1) as PyTorch state_dicts in JSON, with
#      our outputs over the first 100 steps. The harness loads them with RTNeural's torch_helpers and refuses to time
#      unless its outputs are within 1e-4 of ours.
#   4. Per network, RUNS rounds, each one run of STEPS steps of ours and one of RTNeural's (each in a fresh process,
#      the order swapped every round), all pinned to the same core with taskset when it exists.
# Writes FILE (default Benchmarks/artifacts/rtneural/rtneural.csv): key,implementation,round,steps,ns_per_step,max_abs_diff
# and beside it rtneural-info.csv (RTNeural commit, compiler, flags, Eigen version, core). The report takes the median
# of the rounds of each side.
# --no-build: the Benchmarks project is already built in Release (report.sh builds it).
# gru64bf16 / lstm64bf16 are our WeightPrecision.BFloat16 declarations: the export gives RTNeural their weight matrices
# rounded to bfloat16, so both sides run the same network (RTNeural in fp32, ours from 16-bit storage).
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$(pwd)
out="$root/Benchmarks/artifacts/rtneural/rtneural.csv"
runs=7
steps=1000000
build=1
while (( $# )); do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "--out needs a file" >&2; exit 2; }; out="$2"; shift ;;
    --runs) [ $# -ge 2 ] || { echo "--runs needs a number" >&2; exit 2; }; runs="$2"; shift ;;
    --steps) [ $# -ge 2 ] || { echo "--steps needs a number" >&2; exit 2; }; steps="$2"; shift ;;
    --no-build) build=0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

[ -n "${RTNEURAL_DIR:-}" ] || { echo "set RTNEURAL_DIR to a checkout of RTNeural" >&2; exit 2; }
rtneural=$(cd "$RTNEURAL_DIR" && pwd)
[ -f "$rtneural/RTNeural/RTNeural.h" ] || { echo "$rtneural/RTNeural/RTNeural.h not found: RTNEURAL_DIR is not an RTNeural checkout" >&2; exit 2; }
[ -f "$rtneural/modules/json/json.hpp" ] || { echo "$rtneural/modules/json/json.hpp not found (RTNeural's vendored nlohmann/json)" >&2; exit 2; }

# 1. Eigen
eigen=/usr/include/eigen3
if [ ! -f "$eigen/Eigen/Dense" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing libeigen3-dev"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libeigen3-dev > /dev/null
  else
    echo "Eigen not found in $eigen: install libeigen3-dev (apt-get install libeigen3-dev, as root)" >&2
    exit 1
  fi
fi
eigen_version=$(awk '/#define EIGEN_(WORLD|MAJOR|MINOR)_VERSION/ { v = v (v ? "." : "") $3 } END { print v }' "$eigen/Eigen/src/Core/util/Macros.h")

# 2. The harness
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
work="$root/Benchmarks/artifacts/rtneural"
mkdir -p "$work"
cxx=${CXX:-g++}
flags=(-O3 -march=native -std=c++17 -DRTNEURAL_USE_EIGEN=1 -DRTNEURAL_DEFAULT_ALIGNMENT=32)
echo "building the RTNeural harness ($cxx ${flags[*]}, Eigen $eigen_version)"
"$cxx" "${flags[@]}" -I"$rtneural" -I"$eigen" -o "$work/harness" Benchmarks/rtneural/harness.cpp 2> "$work/build.log" \
  || { cat "$work/build.log" >&2; echo "the harness did not build" >&2; exit 1; }
harness="$work/harness"

# 3. Our weights and reference outputs
if [ "$build" = 1 ]; then
  dotnet build -c Release Benchmarks/Fixed.Benchmarks.csproj -nologo -v q
fi
bench=(dotnet Benchmarks/bin/Release/net10.0/Fixed.Benchmarks.dll)
rm -rf "$work/weights"
"${bench[@]}" rtneural export --out "$work/weights" > /dev/null

# 4. Alternating runs on one core
pin=()
core=none
if command -v taskset > /dev/null; then
  # RTNEURAL_CORE picks the core; by default core 1 when there are two. nproc counts only the cores this process may use,
  # so under `taskset -c 1` it says 1 and the default would be core 0: pass RTNEURAL_CORE=1 there.
  core=${RTNEURAL_CORE:-$(( $(nproc) > 1 ? 1 : 0 ))}
  pin=(taskset -c "$core")
fi
# RTNEURAL_NETWORKS="gru64 gru64bf16" runs a subset (default: every network of the comparison).
read -r -a networks <<< "${RTNEURAL_NETWORKS:-gru8 gru32 gru64 gru3x32 lstm32 lstm64 gru32l2 gru64bf16 lstm64bf16}"
ours() { DOTNET_TC_CallCountingDelayMs=0 "${pin[@]}" "${bench[@]}" rtneural time --network "$1" --runs 1 --steps "$steps" --round "$2"; }
theirs() { "${pin[@]}" "$harness" --network "$1" --weights "$work/weights/$1.json" --runs 1 --steps "$steps" --round "$2"; }

tmp="$out.partial"
echo "key,implementation,round,steps,ns_per_step,max_abs_diff" > "$tmp"
for n in "${networks[@]}"; do
  for (( r = 1; r <= runs; r++ )); do
    if (( r % 2 )); then
      ours "$n" "$r" >> "$tmp"
      theirs "$n" "$r" >> "$tmp" 2> "$work/check-$n.txt" || { cat "$work/check-$n.txt" >&2; exit 1; }
    else
      theirs "$n" "$r" >> "$tmp" 2> "$work/check-$n.txt" || { cat "$work/check-$n.txt" >&2; exit 1; }
      ours "$n" "$r" >> "$tmp"
    fi
  done
  cat "$work/check-$n.txt"
  for side in fixed rtneural; do
    echo "  $side, ns/step by round: $(awk -F, -v n="$n" -v s="$side" '$1 == n && $2 == s { printf "%s ", $5 }' "$tmp")"
  done
done
mv "$tmp" "$out"

commit=$(git -C "$rtneural" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  echo "rtneural_commit,compiler,flags,eigen,core,runs,steps"
  echo "$commit,$("$cxx" --version | head -1 | tr ',' ';'),${flags[*]},$eigen_version,$core,$runs,$steps"
} > "$(dirname "$out")/rtneural-info.csv"
echo "RTNeural side by side: $out"
