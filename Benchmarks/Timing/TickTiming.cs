using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Fixed.Benchmarks.Baselines;

namespace Fixed.Benchmarks.Timing;

/// <summary>
/// The per-call timing loops and percentile arithmetic shared by <see cref="TimedRunner"/> and
/// <see cref="Latency.LatencyHarness"/>: each sample is two <see cref="Stopwatch.GetTimestamp"/> reads around one call.
/// </summary>
internal static class TickTiming
{
    /// <summary>Nanoseconds per <see cref="Stopwatch"/> tick.</summary>
    public static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>Times one <see cref="BenchNetwork.Step"/> per sample, cycling through <paramref name="inputs"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void TimeSteps(BenchNetwork net, float[] inputs, int inputSize, float[] output, Span<long> ticks)
    {
        int cycle = inputs.Length / inputSize;
        for (int i = 0; i < ticks.Length; i++)
        {
            ReadOnlySpan<float> x = inputs.AsSpan((i % cycle) * inputSize, inputSize);
            long start = Stopwatch.GetTimestamp();
            net.Step(x, output);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>Times two back-to-back timestamp reads per sample: the timer's own overhead.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void TimeNothing(Span<long> ticks)
    {
        for (int i = 0; i < ticks.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>The samples in nanoseconds, sorted ascending.</summary>
    public static double[] Sorted(ReadOnlySpan<long> ticks)
    {
        double[] values = new double[ticks.Length];
        for (int i = 0; i < ticks.Length; i++)
        {
            values[i] = ticks[i] * NanosecondsPerTick;
        }

        Array.Sort(values);
        return values;
    }

    /// <summary>The nearest-rank <paramref name="p"/>-quantile of non-empty <paramref name="sorted"/>.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
