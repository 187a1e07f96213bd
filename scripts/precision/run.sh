#!/usr/bin/env bash
# The bfloat16 precision study of docs/precision.md, end to end:
#   1. scripts/precision/train_models.py trains GRU/LSTM 1→32 and 1→64 with PyTorch and writes, per model, the fp32
#      weights, a 10⁵-step test signal, and PyTorch's outputs with fp32 and with bfloat16-rounded weight matrices;
#   2. `Fixed.Benchmarks precision` runs each model's fp32 and WeightPrecision.BFloat16 declarations over the signal and
#      prints the table (also written to DIR/precision.md).
#
#   scripts/precision/run.sh [DIR=Benchmarks/artifacts/precision] [--iterations 300] [--steps 100000]
# Needs PyTorch for /usr/bin/python3.11 (scripts/install-torch.sh). Takes a few minutes on a quiet 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-Benchmarks/artifacts/precision}
shift || true
/usr/bin/python3.11 scripts/precision/train_models.py "$dir" "$@"
dotnet build -c Release Benchmarks/Fixed.Benchmarks.csproj -nologo -v q
dotnet Benchmarks/bin/Release/net10.0/Fixed.Benchmarks.dll precision --dir "$dir"
