#!/usr/bin/env bash
# Regenerates the whole benchmark report into Benchmarks/report/:
#   self-check of every implementation, the latency harness, per-call medians of every suite (`timed`), PyTorch eager,
#   BenchmarkDotNet (step, target networks, ONNX Runtime, forward, training), the disassembly of GRU 1→32's Step,
#   NativeAOT vs JIT, many streams per call (`streams`: multi-stream Step beside single-stream, the FMA floor, ONNX Runtime's
#   and PyTorch's batched step, 1 vs 2 threads), then README.md with the tables and plots. With RTNEURAL_DIR set (a checkout of RTNeural), also
#   RTNeural side by side with our Step (scripts/bench/rtneural.sh: the C++ harness built against that checkout, the
#   same weights, runs of both alternated on one core); without it the report's RTNeural columns say "not measured".
#   The NativeAOT section includes the cold start (process start to first Step output), and bytes per model instance.
#   The floors section (`floors`) measures the machine's constants (multiply-add rate, FMA/σ/tanh latency, σ/tanh throughput,
#   L1 and L2 read rates)
#   and each comparison network's Step with the state carried and reset, and says what stops each short of its target.
# About 16 minutes on the 2-core machine. The machine is shared: the report records the load average before and
# after, leads with per-call medians (robust to preemption), and compares only numbers of this one run.
#
# Every old result file is deleted first and any failed step stops the script, so the report is never written from
# stale or partial results. The report is stamped with the commit it measured (with "-dirty" if the tree had
# changes outside the report folder), the date and the machine's CPU.
#
# A clean tree is measured from a snapshot: the script runs itself again in a temporary detached worktree at HEAD
# (removed at the end) and writes into the same report folder, so that editing the tree during the run (builds of
# BenchmarkDotNet, the NativeAOT check and the disassembly come late in it) cannot change what is measured. A tree with
# changes is measured in place and stamped "-dirty".
#
# Usage: [RTNEURAL_DIR=/path/to/RTNeural] scripts/bench/report.sh [--quick] [--no-disasm] [--no-aot] [--export-onnx] [--out DIR]
#   --quick        smoke test of the pipeline: the six target networks only, short BenchmarkDotNet job, fewer PyTorch
#                  repeats and latency samples. Numbers not quotable; written to Benchmarks/artifacts/quick-report
#                  unless --out is given, so that the committed report is left alone
#   --no-disasm    skip the JIT disassembly (about 30 s)
#   --no-aot       skip the NativeAOT vs JIT section (publishes a native binary: a few minutes)
#   --export-onnx  re-export Benchmarks/onnx/*.onnx with PyTorch first (they are committed; only needed after changing the script)
#   --out DIR      where to write the report (default Benchmarks/report, or Benchmarks/artifacts/quick-report with --quick)
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$(pwd)
args=("$@")
report=""
artifacts="$root/Benchmarks/artifacts/bdn"
python=/usr/bin/python3.11
quick=()
mode=full
latency_steps=1000000
disasm=1
aot=1
export_onnx=0
while (( $# )); do
  case "$1" in
    --quick) quick=(--quick); mode=quick; latency_steps=100000 ;;
    --no-disasm) disasm=0 ;;
    --no-aot) aot=0 ;;
    --export-onnx) export_onnx=1 ;;
    --out) [ $# -ge 2 ] || { echo "--out needs a directory" >&2; exit 2; }; report="$2"; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$report" ]; then
  if [ "$mode" = quick ]; then report="$root/Benchmarks/artifacts/quick-report"; else report="$root/Benchmarks/report"; fi
fi
mkdir -p "$report"
report=$(cd "$report" && pwd)

# What the numbers will be stamped with: the commit, "-dirty" if anything but the report folder differs from it
# (the report folder is this script's output, deleted below), the CPU model and the number of logical cores.
commit=$(git rev-parse --short HEAD)
excludes=(":(exclude)Benchmarks/artifacts")
case "$report/" in "$root"/*) excludes+=(":(exclude)${report#"$root"/}") ;; esac
if [ -n "$(git status --porcelain --untracked-files=normal -- . "${excludes[@]}")" ]; then
  commit="$commit-dirty"
elif [ -z "${FIXED_REPORT_SNAPSHOT:-}" ]; then
  snapshot=$(mktemp -d "${TMPDIR:-/tmp}/fixed-report.XXXXXX")
  trap 'git -C "$root" worktree remove --force "$snapshot/tree" 2> /dev/null; rm -rf "$snapshot"' EXIT
  git worktree add --detach --quiet "$snapshot/tree" HEAD
  echo "== measuring a snapshot of $commit: $snapshot/tree"
  FIXED_REPORT_SNAPSHOT=1 bash "$snapshot/tree/scripts/bench/report.sh" "${args[@]}" --out "$report"
  exit 0
fi
cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/,/;/g')
# A VM's model name can be the same for different cores ("AMD EPYC" was a Zen 4 one day and a Zen 5 the next): the family,
# model and L1d size tell them apart.
family=$(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
model=$(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
l1d=$(getconf LEVEL1_DCACHE_SIZE 2>/dev/null || echo 0)
[ -n "$family" ] && cpu="$cpu (family $family model $model; L1d $(( l1d / 1024 )) KB)"
cores=$(nproc)
[ -n "$cpu" ] || { echo "no CPU model in /proc/cpuinfo" >&2; exit 1; }

load() { cut -d' ' -f1-3 /proc/loadavg; }
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(load)
echo "== report ($mode) started $started at $commit on $cpu ($cores cores), load $load_before, into $report"

# No result of an earlier run may survive into this one.
rm -rf "$artifacts"
find "$report" -mindepth 1 -delete

if [ "$export_onnx" = 1 ]; then
  "$python" scripts/bench/export_onnx.py
fi

dotnet build -c Release Benchmarks/Fixed.Benchmarks.csproj -nologo -v q
bench=(dotnet Benchmarks/bin/Release/net10.0/Fixed.Benchmarks.dll)

step() { echo "== $1"; }
fail() { echo "!! $1: stopping, no report written" >&2; exit 1; }

step "self-check"
"${bench[@]}" verify || fail "the implementations disagree"

step "latency harness"
"${bench[@]}" latency --steps "$latency_steps" --out "$report" \
  || fail "the latency run failed, or the generated model collected garbage or allocated"

step "per-call medians (one process per network and implementation)"
"${bench[@]}" timed "${quick[@]}" --out "$report/timed.csv" > /dev/null || fail "some timed runs failed"

if [ -n "${RTNEURAL_DIR:-}" ]; then
  step "RTNeural side by side ($RTNEURAL_DIR), alternating with our Step on one core"
  bash scripts/bench/rtneural.sh --no-build --out "$report/rtneural.csv" || fail "the RTNeural comparison failed"
else
  step "RTNeural: not measured (RTNEURAL_DIR is not set)"
fi

# The floors: the machine's constants, each comparison network's Step carried and reset, on the core RTNeural ran on.
floors_pin=()
if command -v taskset > /dev/null; then
  floors_pin=(taskset -c "${RTNEURAL_CORE:-$(( $(nproc) > 1 ? 1 : 0 ))}")
fi
step "floors: the machine's constants, Step carried and reset, what stops each network short of its target"
"${floors_pin[@]}" "${bench[@]}" floors "${quick[@]}" --out "$report" || fail "the floors measurement failed"

step "PyTorch eager"
"$python" scripts/bench/pytorch_bench.py "${quick[@]}" --out "$report/pytorch.csv" || fail "the PyTorch benchmark failed"

if [ "$mode" = quick ]; then
  step "BenchmarkDotNet: target networks only (smoke test)"
  "${bench[@]}" bench --quick --artifacts "$artifacts" --filter '*.TargetStepBenchmarks.*' \
    || fail "some benchmarks failed"
else
  step "BenchmarkDotNet: per-step suites (100 ms iterations)"
  "${bench[@]}" bench --artifacts "$artifacts" \
    --filter '*.StepBenchmarks.*' '*.TargetStepBenchmarks.*' '*.OrtStepBenchmarks.*' \
    || fail "some per-step benchmarks failed"

  step "BenchmarkDotNet: forward and training (50 ms iterations)"
  "${bench[@]}" bench --iteration-time 50 --artifacts "$artifacts" \
    --filter '*.ForwardBenchmarks.*' '*.TrainingBenchmarks.*' '*.SequenceBenchmarks.*' \
    || fail "some forward/training benchmarks failed"
fi

if [ "$disasm" = 1 ]; then
  step "disassembly of GRU 1→32 Step"
  "${bench[@]}" disasm --out "$report" || fail "no disassembly"
fi

# NativeAOT beside the JIT: the same program built both ways, bit-identical outputs, each timing its Step.
aot_lines=""
if [ "$aot" = 1 ]; then
  step "NativeAOT vs JIT (scripts/package/aot-check.sh)"
  aot_binary="$(mktemp "${TMPDIR:-/tmp}/fixed-aotstream.XXXXXX")"
  if ! aot_out="$(FIXED_AOT_COPY="$aot_binary" bash scripts/package/aot-check.sh 2>&1)"; then
    echo "$aot_out" >&2
    fail "the NativeAOT check failed"
  fi
  aot_lines=$(grep -E '^timing:|^native binary|^outputs:' <<< "$aot_out") || fail "the NativeAOT check printed no timing"

  step "cold start: NativeAOT process start to first Step output (scripts/bench/cold-start.sh)"
  cold_runs=50
  [ "$mode" = quick ] && cold_runs=20
  bash scripts/bench/cold-start.sh --binary "$aot_binary" --runs "$cold_runs" --out "$report/cold-start.csv" \
    || fail "the cold-start measurement failed"
  rm -f "$aot_binary"
fi

step "many streams per call: multi-stream Step beside single-stream, the FMA floor, ORT and PyTorch batched, 1 vs 2 threads"
"${bench[@]}" streams "${quick[@]}" --out "$report" || fail "the many-streams measurement failed"

step "memory: bytes per model instance"
"${bench[@]}" memory --out "$report" || fail "the memory measurement failed"

finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
  echo "started,finished,commit,cpu,cores,mode,load_before,load_after"
  echo "$started,$finished,$commit,$cpu,$cores,$mode,$load_before,$(load)"
} > "$report/run-info.csv"

step "report"
"${bench[@]}" report --artifacts "$artifacts" --out "$report" || fail "the report writer failed"

if [ -n "$aot_lines" ]; then
  {
    echo
    echo "## NativeAOT vs JIT: \`Step\` of the 32-unit RNN"
    echo
    echo "\`scripts/package/aot-check.sh\` builds \`examples/AotStream\` both ways (NativeAOT with \`IlcInstructionSet=native\`),"
    echo "checks that every output is bit-identical, and each build times its own \`Step\` (best of 7 runs of 10⁶ steps),"
    echo "in this run, at commit \`$commit\`:"
    echo
    echo '```'
    echo "$aot_lines"
    echo '```'
  } >> "$report/README.md"
fi
if [ -f "$report/streams.md" ]; then
  { echo; cat "$report/streams.md"; } >> "$report/README.md"
fi
echo "== done $finished (started $started) at $commit: $report/README.md"
