#!/usr/bin/env bash
# Regenerates the whole benchmark report (issue 5) into Benchmarks/report/:
#   self-check of every implementation, the latency harness, per-call medians of every suite (`timed`), PyTorch eager,
#   BenchmarkDotNet (step, target networks, ONNX Runtime, forward, training), the disassembly of GRU 1→32's Step,
#   then README.md with the tables and plots.
# About 16 minutes on the 2-core machine. The machine is shared: the report records the load average before and
# after, leads with per-call medians (robust to preemption), and compares only numbers of this one run.
#
# Usage: scripts/bench/report.sh [--quick] [--no-disasm] [--export-onnx]
#   --quick        smoke test: short BenchmarkDotNet job, fewer PyTorch repeats and latency samples (numbers not quotable)
#   --no-disasm    skip DisassemblyDiagnoser (about 30 s)
#   --export-onnx  re-export Benchmarks/onnx/*.onnx with PyTorch first (they are committed; only needed after changing the script)
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$(pwd)
report="$root/Benchmarks/report"
artifacts="$root/Benchmarks/artifacts/bdn"
python=/usr/bin/python3.11
quick=()
pytorch_args=()
latency_steps=1000000
disasm=1
export_onnx=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick); pytorch_args=(--quick); latency_steps=100000 ;;
    --no-disasm) disasm=0 ;;
    --export-onnx) export_onnx=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

load() { cut -d' ' -f1-3 /proc/loadavg; }
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(load)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- Runtime Generator Benchmarks 2>/dev/null | grep -v '^?? Benchmarks/report/' || true)" ]; then
  commit="$commit+changes"
fi
echo "== report started $started, load $load_before"

if [ "$export_onnx" = 1 ]; then
  "$python" scripts/bench/export_onnx.py
fi

dotnet build -c Release Benchmarks/Fixed.Benchmarks.csproj -nologo -v q
bench=(dotnet Benchmarks/bin/Release/net10.0/Fixed.Benchmarks.dll)

status=0
echo "== self-check"
"${bench[@]}" verify

mkdir -p "$report"
rm -rf "$artifacts"
rm -f "$report"/bdn-*.csv "$report"/latency-*.png "$report"/disasm-*.md

echo "== latency harness"
"${bench[@]}" latency --steps "$latency_steps" --out "$report" \
  || { echo "!! the generated model collected garbage or allocated during the latency run" >&2; status=1; }

echo "== per-call medians (one process per network and implementation)"
"${bench[@]}" timed --out "$report/timed.csv" > /dev/null || { echo "!! some timed runs failed" >&2; status=1; }

echo "== PyTorch eager"
"$python" scripts/bench/pytorch_bench.py "${pytorch_args[@]}" --out "$report/pytorch.csv"

echo "== BenchmarkDotNet: per-step suites (100 ms iterations)"
"${bench[@]}" bench "${quick[@]}" --artifacts "$artifacts" \
  --filter '*.StepBenchmarks.*' '*.TargetStepBenchmarks.*' '*.OrtStepBenchmarks.*' \
  || { echo "!! some per-step benchmarks failed (n/a in the report)" >&2; status=1; }

echo "== BenchmarkDotNet: forward and training (50 ms iterations)"
"${bench[@]}" bench "${quick[@]}" --iteration-time 50 --artifacts "$artifacts" \
  --filter '*.ForwardBenchmarks.*' '*.TrainingBenchmarks.*' \
  || { echo "!! some forward/training benchmarks failed (n/a in the report)" >&2; status=1; }

if [ "$disasm" = 1 ]; then
  echo "== disassembly of GRU 1→32 Step"
  "${bench[@]}" disasm --out "$report" || { echo "!! no disassembly" >&2; status=1; }
fi

# NativeAOT beside the JIT (issue 6): the same program built both ways, bit-identical outputs, each timing its Step.
append_aot_section() {
  echo "== NativeAOT vs JIT (scripts/package/aot-check.sh)"
  local out
  if ! out="$(bash scripts/package/aot-check.sh 2>&1)"; then
    echo "$out" >&2
    echo "!! NativeAOT check failed" >&2
    status=1
    return
  fi
  {
    echo
    echo "## NativeAOT vs JIT: \`Step\` of the 32-unit RNN"
    echo
    echo "\`scripts/package/aot-check.sh\` builds \`examples/AotStream\` both ways (NativeAOT with \`IlcInstructionSet=native\`),"
    echo "checks that every output is bit-identical, and each build times its own \`Step\` (best of 7 runs of 10⁶ steps):"
    echo
    echo '```'
    grep -E '^timing:|^native binary|^outputs:' <<< "$out"
    echo '```'
  } >> "$report/README.md"
}

finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
  echo "started,finished,commit,load_before,load_after"
  echo "$started,$finished,$commit,$load_before,$(load)"
} > "$report/run-info.csv"

"${bench[@]}" report --artifacts "$artifacts" --out "$report"
append_aot_section
echo "== done $finished (started $started), status $status"
exit "$status"
