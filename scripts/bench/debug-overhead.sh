#!/usr/bin/env bash
# What a Debug build of the user's app costs per Step, next to a Release build of the same app: the package packed from
# this repository to a local folder (so the runtime is the Release build users get), one console app built twice
# (-c Debug and -c Release), the two runs alternated on one core.
#
# The networks: the issue's GRU 3->32 + Linear(32, 2) as one attribute (OutputSize = 2) and as a stack
# ([Recurrent] [Linear]), plus an LSTM 3->64 x 2 layers. Each run prints the median ns per Step of 7 timed rounds of
# 200,000 steps (after 300,000 untimed ones, so that tiered compilation has finished).
#
# Usage: scripts/bench/debug-overhead.sh [PAIRS]      (PAIRS alternated Debug/Release runs, default 3)
# Prints each run's lines, then the median over the runs per network and build, and the Debug/Release ratio.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pairs="${1:-3}"
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)"
work="$(mktemp -d "${TMPDIR:-/tmp}/fixed-debug-overhead.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export NUGET_PACKAGES="$work/nuget-cache"

dotnet pack "$repo/Runtime" -c Release -o "$work/feed" -nologo -v:q >/dev/null
cat > "$work/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="fixed-local" value="$work/feed" />
  </packageSources>
</configuration>
EOF
cd "$work"
dotnet new console -o app -n DebugOverhead --framework net10.0 >/dev/null
cd app
dotnet add package Fixed --version "$version" --source "$work/feed" >/dev/null

cat > Program.cs <<'EOF'
using System;
using System.Diagnostics;
using Fixed;

Console.WriteLine($"{Median(() => Steps.Gru(300_000), () => Steps.Gru(200_000)),8:F1} ns  Gru 3->32 + head (OutputSize = 2)");
Console.WriteLine($"{Median(() => Steps.GruStack(300_000), () => Steps.GruStack(200_000)),8:F1} ns  Gru 3->32, Linear(32, 2) (stack)");
Console.WriteLine($"{Median(() => Steps.Lstm(300_000), () => Steps.Lstm(200_000)),8:F1} ns  Lstm 3->64 x2 + head (OutputSize = 4)");

// One warm-up run, then the median of 7 timed rounds of 200,000 steps, in ns per step.
static double Median(Action warmUp, Action round)
{
    warmUp();
    var rounds = new double[7];
    for (int r = 0; r < rounds.Length; r++)
    {
        long start = Stopwatch.GetTimestamp();
        round();
        rounds[r] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / 200_000;
    }

    Array.Sort(rounds);
    return rounds[rounds.Length / 2];
}

// A user's streaming loop, as written in a Program.cs: one Step per sample, the state on the stack.
static class Steps
{
    private static readonly Gru s_gru = new();
    private static readonly GruStack s_stack = new();
    private static readonly Lstm s_lstm = new();

    public static void Gru(int steps)
    {
        var state = default(Gru.State);
        Span<float> input = stackalloc float[3], output = stackalloc float[2];
        for (int t = 0; t < steps; t++)
        {
            input[t % 3] = MathF.Sin(0.01f * t);
            s_gru.Step(ref state, input, output);
        }
    }

    public static void GruStack(int steps)
    {
        var state = default(GruStack.State);
        Span<float> input = stackalloc float[3], output = stackalloc float[2];
        for (int t = 0; t < steps; t++)
        {
            input[t % 3] = MathF.Sin(0.01f * t);
            s_stack.Step(ref state, input, output);
        }
    }

    public static void Lstm(int steps)
    {
        var state = default(Lstm.State);
        Span<float> input = stackalloc float[3], output = stackalloc float[4];
        for (int t = 0; t < steps; t++)
        {
            input[t % 3] = MathF.Sin(0.01f * t);
            s_lstm.Step(ref state, input, output);
        }
    }
}

[Recurrent(3, 32, Cell = Cell.Gru, OutputSize = 2)]
public partial class Gru;

[Recurrent(3, 32, Cell = Cell.Gru)]
[Linear(32, 2)]
public partial class GruStack;

[Recurrent(3, 64, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 4)]
public partial class Lstm;
EOF

dotnet build -c Debug -nologo -v:q >/dev/null
dotnet build -c Release -nologo -v:q >/dev/null
for ((i = 1; i <= pairs; i++)); do
  for config in Debug Release; do
    echo "== $config run $i ($(uptime | sed 's/.*load average/load average/'))"
    taskset -c 1 dotnet "bin/$config/net10.0/DebugOverhead.dll" | tee -a "$work/$config.txt"
  done
done

echo "== medians over $pairs runs each"
for net in "Gru 3->32 + head" "Gru 3->32, Linear" "Lstm 3->64"; do
  debug="$(grep -F "$net" "$work/Debug.txt" | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  release="$(grep -F "$net" "$work/Release.txt" | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  awk -v n="$net" -v d="$debug" -v r="$release" 'BEGIN { printf "%-20s Debug %8.1f ns  Release %8.1f ns  ratio %.2fx\n", n, d, r, d / r }'
done
