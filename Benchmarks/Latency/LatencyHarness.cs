using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using Fixed.Benchmarks.Baselines;
using Fixed.Benchmarks.Models;
using static Fixed.Benchmarks.Timing.TickTiming;

namespace Fixed.Benchmarks.Latency;

/// <summary>What one latency run measured, in nanoseconds.</summary>
public sealed record LatencyResult(
    NetworkId Network, Implementation Implementation, int Steps, double P50, double P90, double P99, double P999, double Max, double Mean,
    double TimerOverheadP50, double TimerResolution, int Collections, long AllocatedBytes, double[] Samples);

/// <summary>
/// Times every one of 10⁶ <c>Step</c> calls on its own, the way a real-time loop experiences them. Each sample is
/// two <see cref="Stopwatch.GetTimestamp"/> reads around one call; on Linux the timestamp is CLOCK_MONOTONIC in
/// nanoseconds, so the tick is 1 ns but each read itself costs some tens of ns (measured and reported as the timer
/// overhead: the samples include it, percentiles are not corrected). Garbage collections and allocated bytes are
/// counted over the timed run and must both be zero.
/// </summary>
public static class LatencyHarness
{
    /// <summary>The default number of timed steps.</summary>
    public const int DefaultSteps = 1_000_000;

    /// <summary>Warms <paramref name="implementation"/> of the network to its final JIT tier, then times <paramref name="steps"/> steps.</summary>
    public static LatencyResult Run(NetworkId network, Implementation implementation, int steps)
    {
        BenchNetwork net = NetworkCatalog.Create(implementation, network);
        float[] inputs = new float[1024 * network.Input];
        var random = new Random(5);
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)(random.NextDouble() * 2 - 1);
        }

        long[] ticks = new long[steps];
        float[] output = new float[1];

        // Tiered compilation promotes a method after 30 calls plus a quiet period: call the timed loop many times
        // on short runs, pause, and repeat, so the loop and Step are both at tier 1 (with PGO) before timing.
        for (int round = 0; round < 3; round++)
        {
            for (int call = 0; call < 60; call++)
            {
                TimeSteps(net, inputs, network.Input, output, ticks.AsSpan(0, Math.Min(steps, 2000)));
                TimeNothing(ticks.AsSpan(0, Math.Min(steps, 2000)));
            }

            Thread.Sleep(250);
        }

        TimeNothing(ticks);
        double timerOverhead = Percentile(Sorted(ticks), 0.5);
        double resolution = TimerResolution(ticks);

        int collectionsBefore = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        TimeSteps(net, inputs, network.Input, output, ticks);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        int collections = GC.CollectionCount(0) + GC.CollectionCount(1) + GC.CollectionCount(2) - collectionsBefore;

        double[] samples = new double[steps];
        double sum = 0;
        for (int i = 0; i < steps; i++)
        {
            samples[i] = ticks[i] * NanosecondsPerTick;
            sum += samples[i];
        }

        double[] sorted = (double[])samples.Clone();
        Array.Sort(sorted);
        return new LatencyResult(network, implementation, steps,
            Percentile(sorted, 0.50), Percentile(sorted, 0.90), Percentile(sorted, 0.99), Percentile(sorted, 0.999),
            sorted[^1], sum / steps, timerOverhead, resolution, collections, allocated, samples);
    }

    /// <summary>Writes one CSV row per result (with a header) to <paramref name="path"/>.</summary>
    public static void WriteCsv(string path, System.Collections.Generic.IEnumerable<LatencyResult> results)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("network,key,implementation,steps,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,mean_ns,timer_overhead_p50_ns,timer_resolution_ns,gc_collections,allocated_bytes");
        foreach (LatencyResult r in results)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Network.Display},{r.Network.Key},{r.Implementation.ToString().ToLowerInvariant()},{r.Steps},{r.P50:F1},{r.P90:F1},{r.P99:F1},{r.P999:F1},{r.Max:F1},{r.Mean:F1},{r.TimerOverheadP50:F1},{r.TimerResolution:F1},{r.Collections},{r.AllocatedBytes}"));
        }
    }

    /// <summary>The smallest non-zero difference between two timestamp reads, in ns.</summary>
    private static double TimerResolution(long[] ticks)
    {
        long smallest = long.MaxValue;
        foreach (long t in ticks)
        {
            if (t > 0 && t < smallest)
            {
                smallest = t;
            }
        }

        return smallest * NanosecondsPerTick;
    }
}
