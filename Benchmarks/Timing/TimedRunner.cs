using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Fixed.Benchmarks.Baselines;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Suites;
using static Fixed.Benchmarks.Timing.TickTiming;

namespace Fixed.Benchmarks.Timing;

/// <summary>
/// Load-robust timings of the same work the BenchmarkDotNet suites measure: every call is timed on its own and the
/// median of the calls is reported. A BenchmarkDotNet iteration averages ~100 ms of wall time, so on a shared
/// machine every iteration absorbs whatever time the scheduler gave to other processes; a single call (a step is
/// 0.1–100 µs, a Forward or training iteration up to a few ms) is usually shorter than a time slice, so most calls
/// run undisturbed and their median is the undisturbed cost.
/// </summary>
/// <remarks>
/// Each (network, implementation) pair runs in a child process of its own, as BenchmarkDotNet does, so that JIT
/// profile data of one model never shapes the code of another.
/// </remarks>
public static class TimedRunner
{
    /// <summary>The suites, as named in the CSV.</summary>
    public static readonly string[] Suites = ["step", "forward", "training"];

    private const string Header = "suite,network,key,implementation,calls,median_ns,p25_ns,p75_ns";
    private static readonly TimeSpan WarmTime = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan MeasureTime = TimeSpan.FromMilliseconds(250);


    /// <summary>Runs every pair of <paramref name="networks"/> (default: the whole grid) in child processes and writes the CSV to <paramref name="path"/>.</summary>
    public static int RunAll(string path, IReadOnlyList<NetworkId>? networks = null)
    {
        var lines = new List<string> { Header };
        networks ??= [.. NetworkId.All];
        var pairs = networks.SelectMany(n => Enum.GetValues<Implementation>().Where(i => NetworkCatalog.Exists(i, n)).Select(i => (n, i.ToString())))
            .Concat(networks.Where(n => File.Exists(OrtNetwork.ModelPath(n, OrtStepBenchmarks.OnnxDirectory))).Select(n => (n, "OnnxRuntime")))
            .ToList();
        int failures = 0;
        foreach ((NetworkId network, string implementation) in pairs)
        {
            (int exitCode, string output) = RunChild(network.Key, implementation);
            if (exitCode != 0)
            {
                failures++;
                Console.Error.WriteLine($"timed {network.Key} {implementation}: exit code {exitCode}");
            }

            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                lines.Add(line);
                Console.WriteLine(line);
            }
        }

        File.WriteAllLines(path, lines);
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// Runs <c>timed --network KEY --impl IMPL</c> in a child process with <c>DOTNET_TC_CallCountingDelayMs=0</c>: methods are
    /// then promoted to tier 1 as soon as they have been called 30 times, so the short warm-up reaches optimised code.
    /// </summary>
    private static (int ExitCode, string Output) RunChild(string network, string implementation)
    {
        ProcessStartInfo start = SelfProcess.StartInfo("timed", "--network", network, "--impl", implementation);
        start.RedirectStandardOutput = true;
        start.Environment[CallCountingDelay] = "0";
        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return (child.ExitCode, output);
    }

    private const string CallCountingDelay = "DOTNET_TC_CallCountingDelayMs";

    /// <summary>
    /// One pair, in this process: prints one CSV row per suite. Started without <c>DOTNET_TC_CallCountingDelayMs=0</c>
    /// (by hand, or by a script), it runs itself again with it: under the default 100 ms delay the warm-up never gets the
    /// training iteration's methods out of tier 0, and the training line came out ~35× too slow (GRU 1→32: 700 µs, not 14).
    /// </summary>
    public static int RunOne(NetworkId network, string implementation)
    {
        if (Environment.GetEnvironmentVariable(CallCountingDelay) != "0")
        {
            (int exitCode, string output) = RunChild(network.Key, implementation);
            Console.Write(output);
            return exitCode;
        }

        if (implementation.Equals("OnnxRuntime", StringComparison.OrdinalIgnoreCase))
        {
            using var ort = new OrtNetwork(network, OrtStepBenchmarks.OnnxDirectory);
            float[] inputs = GridBenchmark.RandomVector(1024, 7);
            Print("step", network, "onnxruntime", Measure(chunk => TimeOrt(ort, inputs, chunk), 1000, 40, subtractTimer: true));
            return 0;
        }

        var kind = Enum.Parse<Implementation>(implementation, ignoreCase: true);
        BenchNetwork net = NetworkCatalog.Create(kind, network);
        string name = kind.ToString().ToLowerInvariant();
        float[] stepInputs = GridBenchmark.RandomVector(1024 * network.Input, 7);
        float[] stepOutput = new float[1];
        Print("step", network, name, Measure(chunk => TimeSteps(net, stepInputs, network.Input, stepOutput, chunk), 1000, 40, subtractTimer: true));

        float[] sequence = GridBenchmark.RandomVector(ForwardBenchmarks.Steps * network.Input, 11);
        float[] outputs = new float[ForwardBenchmarks.Steps];
        Print("forward", network, name, Measure(chunk => TimeForward(net, sequence, outputs, chunk), 1, 3, subtractTimer: false));

        float[] window = GridBenchmark.RandomVector(NetworkCatalog.Window * network.Input, 13);
        float[] targets = GridBenchmark.RandomVector(NetworkCatalog.Window, 17);
        Print("training", network, name, Measure(chunk => TimeTraining(net, window, targets, chunk), 1, 3, subtractTimer: false));

        if (net is IBatchTraining batched)
        {
            // The batched Backward the seed's training loop calls: BatchSize sequences of the window, then clip + Adam + zero_grad
            // once; reported per sequence (the call's time ÷ BatchSize), so it reads against the single-sequence line above.
            float[] batchInputs = GridBenchmark.RandomVector(BatchSize * NetworkCatalog.Window * network.Input, 19);
            float[] batchTargets = GridBenchmark.RandomVector(BatchSize * NetworkCatalog.Window, 23);
            MeasureBatchAgainstLoop(batched, net, network, name, batchInputs, batchTargets);
        }

        return 0;
    }

    /// <summary>
    /// Warms up in chunks until <see cref="WarmTime"/> has passed, at least <paramref name="warmRounds"/> chunks have run (the
    /// timing loop itself must reach tier 1) and the JIT has fallen quiet (<see cref="JitWarmUp"/>), then times calls for <see cref="MeasureTime"/> (at least 9 calls).
    /// </summary>
    private static (int Calls, double Median, double P25, double P75) Measure(Action<Span<long>> time, int chunk, int warmRounds, bool subtractTimer)
    {
        long[] samples = new long[200_000];
        JitWarmUp.UntilQuiet(() => time(samples.AsSpan(0, chunk)), WarmTime, warmRounds);
        var clock = Stopwatch.StartNew();

        double timer = 0;
        if (subtractTimer)
        {
            for (int i = 0; i < 40; i++)
            {
                TimeNothing(samples.AsSpan(0, 1000));
            }

            timer = Percentile(Sorted(samples.AsSpan(0, 1000)), 0.5);
        }

        int count = 0;
        clock.Restart();
        while ((clock.Elapsed < MeasureTime || count < 9) && count + chunk <= samples.Length)
        {
            time(samples.AsSpan(count, chunk));
            count += chunk;
        }

        double[] sorted = Sorted(samples.AsSpan(0, count));
        return (count, Math.Max(0, Percentile(sorted, 0.5) - timer), Math.Max(0, Percentile(sorted, 0.25) - timer), Math.Max(0, Percentile(sorted, 0.75) - timer));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TimeOrt(OrtNetwork ort, float[] inputs, Span<long> ticks)
    {
        for (int i = 0; i < ticks.Length; i++)
        {
            ort.Input[0] = inputs[i & 1023];
            long start = Stopwatch.GetTimestamp();
            ort.Step();
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TimeForward(BenchNetwork net, float[] inputs, float[] outputs, Span<long> ticks)
    {
        for (int i = 0; i < ticks.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            net.Forward(inputs, outputs);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TimeTraining(BenchNetwork net, float[] inputs, float[] targets, Span<long> ticks)
    {
        for (int i = 0; i < ticks.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            net.TrainingIteration(inputs, targets);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>
    /// <c>training-batch32</c> against <c>training-loop32</c>, alternated call by call in this process so that both see the same
    /// load: one batched Backward of <see cref="BatchSize"/> sequences, then clip + Adam + zero_grad; against the same sequences
    /// through <see cref="BatchSize"/> single-sequence Backward calls (the sequence-by-sequence loop), then the same update.
    /// Both printed per sequence (the call's median ÷ <see cref="BatchSize"/>).
    /// </summary>
    private static void MeasureBatchAgainstLoop(IBatchTraining batched, BenchNetwork net, NetworkId network, string name, float[] inputs, float[] targets)
    {
        long[] batch = new long[20_000], loop = new long[20_000];

        // Until the JIT is quiet, as the other suites: a fixed 300 ms could end while the batched Backward's many methods
        // were still being compiled at tier 1 in the background, and tier-0 calls then entered the medians.
        JitWarmUp.UntilQuiet(
            () =>
            {
                TimeBatchTraining(batched, net, inputs, targets, batch.AsSpan(0, 1));
                TimeLoopTraining(net, inputs, targets, loop.AsSpan(0, 1));
            },
            2 * WarmTime,
            6);

        int count = 0;
        var clock = Stopwatch.StartNew();
        while ((clock.Elapsed < 4 * MeasureTime || count < 15) && count < batch.Length)
        {
            TimeBatchTraining(batched, net, inputs, targets, batch.AsSpan(count, 1));
            TimeLoopTraining(net, inputs, targets, loop.AsSpan(count, 1));
            count++;
        }

        string size = BatchSize.ToString(CultureInfo.InvariantCulture);
        Print("training-batch" + size, network, name, PerSequence(batch.AsSpan(0, count)));
        Print("training-loop" + size, network, name, PerSequence(loop.AsSpan(0, count)));
    }

    private static (int Calls, double Median, double P25, double P75) PerSequence(Span<long> ticks)
    {
        double[] sorted = Sorted(ticks);
        return (ticks.Length, Percentile(sorted, 0.5) / BatchSize, Percentile(sorted, 0.25) / BatchSize, Percentile(sorted, 0.75) / BatchSize);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TimeBatchTraining(IBatchTraining batched, BenchNetwork net, float[] inputs, float[] targets, Span<long> ticks)
    {
        for (int i = 0; i < ticks.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            batched.BackwardBatch(inputs, targets, BatchSize);
            net.ClipStepZero();
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TimeLoopTraining(BenchNetwork net, float[] inputs, float[] targets, Span<long> ticks)
    {
        int length = inputs.Length / BatchSize, targetLength = targets.Length / BatchSize;
        for (int i = 0; i < ticks.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int b = 0; b < BatchSize; b++)
            {
                net.Backward(inputs.AsSpan(b * length, length), targets.AsSpan(b * targetLength, targetLength));
            }

            net.ClipStepZero();
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>
    /// <c>timed --network KEY --profile-training</c>: only <c>training</c>'s call (one sequence's Backward, then clip + Adam +
    /// zero_grad) of the generated model, for 10 s, for a profiler to sample, as <see cref="ProfileBatch"/>; prints µs per call.
    /// </summary>
    public static int ProfileTraining(NetworkId network)
    {
        BenchNetwork net = NetworkCatalog.Create(Implementation.Generated, network);
        float[] inputs = GridBenchmark.RandomVector(NetworkCatalog.Window * network.Input, 19);
        float[] targets = GridBenchmark.RandomVector(NetworkCatalog.Window, 23);
        (double microseconds, long calls) = ForProfiler(ticks => TimeTraining(net, inputs, targets, ticks));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{network.Key}: {microseconds / calls:F2} µs per training iteration over {calls:N0} calls"));
        return 0;
    }

    /// <summary>
    /// <c>timed --network KEY --profile-batch</c>: only <c>training-batch32</c>'s call (batched Backward, then clip + Adam +
    /// zero_grad) of the generated model, for 10 s, for a profiler to sample (<c>DOTNET_PerfMapEnabled=1 perf record -e
    /// cpu-clock ...</c>, with <c>DOTNET_TC_CallCountingDelayMs=0</c> so that the loop reaches tier 1 at once); prints µs per
    /// sequence.
    /// </summary>
    public static int ProfileBatch(NetworkId network)
    {
        BenchNetwork net = NetworkCatalog.Create(Implementation.Generated, network);
        if (net is not IBatchTraining batched)
        {
            throw new ArgumentException($"{network.Display} has no batched Backward.");
        }

        float[] inputs = GridBenchmark.RandomVector(BatchSize * NetworkCatalog.Window * network.Input, 19);
        float[] targets = GridBenchmark.RandomVector(BatchSize * NetworkCatalog.Window, 23);
        (double microseconds, long calls) = ForProfiler(ticks => TimeBatchTraining(batched, net, inputs, targets, ticks));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{network.Key}: {microseconds / calls / BatchSize:F2} µs per sequence over {calls:N0} calls of batch {BatchSize}"));
        return 0;
    }

    /// <summary>
    /// The profiling modes' loop: <paramref name="time"/> (one of the suites' timing loops) over chunks of 16 calls until 10 s
    /// have passed; returns the microseconds elapsed and the calls made.
    /// </summary>
    private static (double Microseconds, long Calls) ForProfiler(Action<Span<long>> time)
    {
        long[] ticks = new long[16];
        long calls = 0;
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 10_000)
        {
            time(ticks);
            calls += ticks.Length;
        }

        return (clock.Elapsed.TotalMicroseconds, calls);
    }

    /// <summary>Sequences per batched training call (<c>training-batch32</c>: batch 32 of the 32-step window).</summary>
    public const int BatchSize = 32;

    private static void Print(string suite, NetworkId network, string implementation, (int Calls, double Median, double P25, double P75) r) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{suite},{network.Display},{network.Key},{implementation},{r.Calls},{r.Median:F1},{r.P25:F1},{r.P75:F1}"));
}
