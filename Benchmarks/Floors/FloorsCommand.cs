using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using Fixed.Benchmarks.Comparison;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Reporting;
using Fixed.Benchmarks.Streams;
using Fixed.Benchmarks.Timing;

namespace Fixed.Benchmarks.Floors;

/// <summary>
/// <c>floors [--runs 7] [--steps 1000000] [--quick] [--networks gru32,rnn32] [--out DIR]</c>: what stops each network of the speed comparison
/// short of its target (half RTNeural's time in the same run; RNN tanh 1→32: 25 ns), measured on this machine:
/// <list type="number">
/// <item>the machine's constants (<see cref="MachineCalibration"/>): multiply-add rate, FMA latency, the latency of the
/// library's σ and tanh, the rate of reading from L2;</item>
/// <item>per network, its <c>Step</c> timed two ways, alternated run by run in this one process: with the state carried
/// (what a stream does), and with every call on a zero state (eight states in turn, each zeroed after its step), which
/// cuts the recurrence: consecutive steps no longer depend on each other, so the core overlaps one step's tail with the
/// next step's head and what is left is the cost of the step's instructions themselves;</item>
/// <item>three floors from the constants: the FMA floor (the step's multiply-adds at the measured rate), the serial
/// floor (per layer, the hidden product at full FMA rate or its accumulator chains, whichever is longer; then the
/// activations and the state update on the recurrence's path at their measured latencies), and the work floor (the
/// products at the FMA rate plus the activations at their measured throughput, or reading the weights once from L1 at
/// its measured rate if that is longer).</item>
/// </list>
/// Writes <c>floors.csv</c> and <c>floors.md</c> into DIR; with <c>rtneural.csv</c> there (the report runs RTNeural
/// first) the targets come from this run's RTNeural medians, otherwise the table says "not measured".
/// </summary>
internal static class FloorsCommand
{
    private static readonly TimeSpan WarmTime = TimeSpan.FromMilliseconds(300);

    /// <summary>Runs the command (in a child with prompt tiering, if this process has the default delay).</summary>
    public static int Run(string[] args)
    {
        if (!PromptTiering.IsOn)
        {
            return PromptTiering.Rerun("floors", args);
        }

        int runs = 7, steps = 1_000_000;
        IReadOnlyList<FloorNetwork> networks = FloorNetwork.All;
        string output = Path.Combine("Benchmarks", "report");
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs": runs = Positive(args, ref i); break;
                case "--steps": steps = Positive(args, ref i); break;
                case "--quick": (runs, steps) = (3, 100_000); break;
                case "--networks": networks = Select(i + 1 < args.Length ? args[++i] : throw new ArgumentException("--networks needs a list of keys.")); break;
                case "--out": output = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--out needs a directory."); break;
                default: throw new ArgumentException($"Unknown floors option '{args[i]}'.");
            }
        }

        Directory.CreateDirectory(output);
        Console.WriteLine("calibrating the machine");
        var machine = new MachineConstants(
            MachineCalibration.MultiplyAddsPerNanosecond(),
            MachineCalibration.FmaLatencyNanoseconds(),
            MachineCalibration.SigmoidLatencyNanoseconds(),
            MachineCalibration.TanhLatencyNanoseconds(),
            MachineCalibration.L2BytesPerNanosecond(),
            MachineCalibration.L1DataBytes)
        {
            SigmoidThroughputNs = MachineCalibration.SigmoidThroughputNanoseconds(),
            TanhThroughputNs = MachineCalibration.TanhThroughputNanoseconds(),
            L1BytesPerNs = MachineCalibration.L1BytesPerNanosecond(),
        };
        Console.WriteLine(machine);

        var measured = new List<StepTimes>();
        foreach (FloorNetwork network in networks)
        {
            string row = RtNeuralCommand.Dispatch(network.Key, new TimeBothWays(runs, steps));
            StepTimes times = StepTimes.Parse(network, row);
            Console.WriteLine($"{network.Display}: carried {times.Carried:F1} ns, reset {times.Reset:F1} ns (medians of {runs})");
            measured.Add(times);
        }

        // The rate once more after the networks: a rate that moved says the machine changed under the run. The activations'
        // throughput and the L1 read rate once more too, keeping the better sample: on a shared host the core's other
        // hardware thread takes load slots and pipes for seconds at a time (on 2026-12-07 the L1 read rate read 139 and
        // 206 bytes per ns in two runs minutes apart, the multiply-add rate the same in both).
        double rateAfter = MachineCalibration.MultiplyAddsPerNanosecond();
        machine = machine with
        {
            MultiplyAddsPerNsAfter = rateAfter,
            SigmoidThroughputNs = Math.Min(machine.SigmoidThroughputNs, MachineCalibration.SigmoidThroughputNanoseconds()),
            TanhThroughputNs = Math.Min(machine.TanhThroughputNs, MachineCalibration.TanhThroughputNanoseconds()),
            L1BytesPerNs = Math.Max(machine.L1BytesPerNs, MachineCalibration.L1BytesPerNanosecond()),
        };
        FloorsReport.Write(output, machine, measured, RtNeuralResults.Load(output), runs, steps);
        Console.WriteLine($"floors: {Path.Combine(output, "floors.md")}");
        return 0;
    }

    /// <summary>The networks named in a comma-separated list of keys, in table order (for timing a few while working on them).</summary>
    private static IReadOnlyList<FloorNetwork> Select(string keys)
    {
        string[] wanted = keys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] unknown = wanted.Where(k => FloorNetwork.All.All(n => n.Key != k)).ToArray();
        return unknown.Length == 0
            ? FloorNetwork.All.Where(n => wanted.Contains(n.Key)).ToArray()
            : throw new ArgumentException($"Unknown floors network(s) {string.Join(", ", unknown)}; known: {string.Join(", ", FloorNetwork.All.Select(n => n.Key))}.");
    }

    private static int Positive(string[] args, ref int i)
    {
        int value = i + 1 < args.Length ? int.Parse(args[++i], CultureInfo.InvariantCulture) : throw new ArgumentException($"{args[i]} needs a value.");
        return value > 0 ? value : throw new ArgumentException($"{args[i - 1]} must be positive.");
    }

    /// <summary>
    /// Times a network's <c>Step</c> carried and reset, <c>runs</c> runs of each, alternating which goes first, after the
    /// warm-up the RTNeural comparison uses (carried: its own loop, <see cref="RtNeuralCommand.RunSteps"/>); returns "carried1 carried2 ... ; reset1 reset2 ..." in ns per step.
    /// </summary>
    private readonly struct TimeBothWays(int runs, int steps) : RtNeuralCommand.IAction
    {
        /// <summary>States the reset loop steps in turn (<see cref="Independent{TDriver}"/>).</summary>
        private const int PoolSize = 8;

        public string Run<TDriver>()
            where TDriver : struct, IStepDriver
        {
            var driver = default(TDriver);
            driver.Create(NetworkCatalog.Seed);
            int input = driver.Layout[0].Shape[1];
            float[] inputs = new float[steps * input];
            for (int t = 0; t < steps; t++)
            {
                ComparisonNetwork.InputAt(t, inputs.AsSpan(t * input, input));
            }

            float[] output = new float[1];
            int chunk = Math.Min(steps, 1000);
            var pool = new TDriver[PoolSize];
            for (int i = 0; i < PoolSize; i++)
            {
                pool[i] = driver;
                pool[i].Reset();
            }

            JitWarmUp.UntilQuiet(
                () =>
                {
                    driver.Reset();
                    RtNeuralCommand.RunSteps(ref driver, inputs, input, chunk, output);
                    Independent(pool, inputs, input, chunk, output);
                },
                WarmTime,
                100);

            double[] carried = new double[runs], reset = new double[runs];
            float sink = 0;
            for (int run = 0; run < runs; run++)
            {
                for (int side = 0; side < 2; side++)
                {
                    bool carriedNow = (side == 0) == (run % 2 == 0);
                    driver.Reset();
                    long start = Stopwatch.GetTimestamp();
                    sink += carriedNow ? RtNeuralCommand.RunSteps(ref driver, inputs, input, steps, output)
                        : Independent(pool, inputs, input, steps, output);
                    double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / steps;
                    (carriedNow ? carried : reset)[run] = ns;
                }
            }

            if (!float.IsFinite(sink))
            {
                throw new InvalidOperationException("Non-finite outputs.");
            }

            return string.Join(' ', carried.Select(Format)) + " ; " + string.Join(' ', reset.Select(Format));
        }

        private static string Format(double ns) => ns.ToString("F2", CultureInfo.InvariantCulture);

        /// <summary>
        /// The same steps on <see cref="PoolSize"/> states in turn, each zeroed right after its step: a call reads a zero state
        /// written <see cref="PoolSize"/> calls before, so no step depends on another, and no store is still on its way to the
        /// state the call reads. (Zeroing one state just before each call, as this loop did until 2026-12-03, made the next
        /// call's narrow loads of h wait for the zeroing's wide stores: RNN tanh 1→32 read 47 ns a step against 33 carried.)
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static float Independent<TDriver>(TDriver[] pool, float[] inputs, int inputSize, int steps, float[] output)
            where TDriver : struct, IStepDriver
        {
            ReadOnlySpan<float> all = inputs;
            Span<float> y = output;
            ref TDriver first = ref MemoryMarshal.GetArrayDataReference(pool);
            float sum = 0;
            for (int t = 0; t < steps; t++)
            {
                ref TDriver d = ref Unsafe.Add(ref first, t & (PoolSize - 1));
                d.Step(all.Slice(t * inputSize, inputSize), y);
                sum += y[0];
                d.Reset();
            }

            return sum;
        }
    }
}

/// <summary>The machine's constants as measured by <see cref="MachineCalibration"/> in this run.</summary>
internal sealed record MachineConstants(
    double MultiplyAddsPerNs, double FmaLatencyNs, double SigmoidLatencyNs, double TanhLatencyNs, double L2BytesPerNs, int L1DataBytes)
{
    /// <summary>The multiply-add rate measured again after the networks (0 until then).</summary>
    public double MultiplyAddsPerNsAfter { get; init; }

    /// <summary>The rate the floors use: the better of the two samples.</summary>
    public double Rate => Math.Max(MultiplyAddsPerNs, MultiplyAddsPerNsAfter);

    /// <summary>Nanoseconds per vector of σ when the vectors are independent (0 until measured).</summary>
    public double SigmoidThroughputNs { get; init; }

    /// <summary>Nanoseconds per vector of tanh when the vectors are independent (0 until measured).</summary>
    public double TanhThroughputNs { get; init; }

    /// <summary>Bytes per nanosecond read from L1 (0 until measured).</summary>
    public double L1BytesPerNs { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"multiply-adds {MultiplyAddsPerNs:F1}/ns, FMA latency {FmaLatencyNs:F3} ns, σ {SigmoidLatencyNs:F2} ns ({SigmoidThroughputNs:F2} independent), tanh {TanhLatencyNs:F2} ns ({TanhThroughputNs:F2} independent), L1 read {L1BytesPerNs:F1} B/ns, L2 read {L2BytesPerNs:F1} B/ns, L1d {L1DataBytes / 1024} KB, {FmaCalibration.Lanes} lanes");
}

/// <summary>One network's medians: <c>Step</c> with the state carried and with it reset before every call.</summary>
internal sealed record StepTimes(FloorNetwork Network, double Carried, double Reset, double[] CarriedRuns, double[] ResetRuns)
{
    public static StepTimes Parse(FloorNetwork network, string row)
    {
        string[] halves = row.Split(';');
        double[] carried = Numbers(halves[0]), reset = Numbers(halves[1]);
        return new StepTimes(network, Statistics.Median(carried), Statistics.Median(reset), carried, reset);
    }

    private static double[] Numbers(string text) =>
        [.. text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => double.Parse(t, CultureInfo.InvariantCulture))];
}
