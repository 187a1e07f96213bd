using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Fixed.Benchmarks.Comparison;
using Fixed.Benchmarks.Latency;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Reporting;
using Fixed.Benchmarks.Suites;
using Fixed.Benchmarks.Timing;
using Fixed.Benchmarks.Verification;

namespace Fixed.Benchmarks;

/// <summary>
/// Entry point. Commands:
/// <list type="bullet">
/// <item><c>bench [--quick] [--iteration-time MS] [BenchmarkDotNet options]</c> — the suites (default: all of them, with the report's job).</item>
/// <item><c>verify</c> — the self-check of every grid network, and ONNX Runtime against PyTorch.</item>
/// <item><c>latency [--model gru32]... [--impl generated,scalar,tensorprimitives] [--steps N] [--baseline-steps N] [--out DIR]</c> —
/// individually timed steps, percentiles, histogram (of the generated model).</item>
/// <item><c>timed [--quick] [--out FILE] | timed --network gru32 --impl scalar</c> — per-call medians of every suite (load-robust;
/// <c>--quick</c>: the six target networks only).</item>
/// <item><c>disasm [--out DIR]</c> — DisassemblyDiagnoser on GRU 1→32's Step.</item>
/// <item><c>rtneural export --out DIR | rtneural time --network gru32 [--runs 7] [--steps 1000000] [--round 1]</c> — our side
/// of the RTNeural comparison (<c>scripts/bench/rtneural.sh</c>): the weights and reference outputs for the C++ harness, and
/// our <c>Step</c> timed as the harness times RTNeural.</item>
/// <item><c>memory [--out DIR]</c> — bytes per model instance (inference only and training) against the raw weight bytes: <c>memory.csv</c>.</item>
/// <item><c>streams [--streams 64] [--thread-streams 256] [--rounds 7] [--quick] [--out DIR]</c> — many streams per call: single-stream
/// against multi-stream <c>Step</c>, the FMA floor, ONNX Runtime's and PyTorch's batched step, 1 vs 2 threads (<c>streams.md</c>, <c>streams.csv</c>).</item>
/// <item><c>floors [--runs 7] [--steps 1000000] [--quick] [--networks rnn32,gru32] [--out DIR]</c> — the machine's constants, each comparison network's
/// <c>Step</c> with the state carried and reset, its FMA and serial floors, and what stops it short of half RTNeural's time
/// (<c>floors.md</c>, <c>floors.csv</c>; reads this run's <c>rtneural.csv</c> from DIR).</item>
/// <item><c>precision --dir DIR [--out FILE]</c> — the error of <c>WeightPrecision.BFloat16</c> on the trained models of
/// <c>scripts/precision/train_models.py</c> against fp32 and PyTorch (docs/precision.md).</item>
/// <item><c>startup [--runs 3] [--seconds 3] [--networks gru32,lstm32,gru64,streams32,stack,train32,batch32,trainstack]</c> — how
/// soon after a process's first <c>Step</c> (or training iteration) it runs at its steady speed, under the default tiering
/// (a fresh child process per run).</item>
/// <item><c>report --artifacts DIR [--out DIR]</c> — the markdown report from the results of the above.</item>
/// </list>
/// </summary>
public static class Program
{
    private static readonly Type[] Suites =
    [
        typeof(StepBenchmarks), typeof(TargetStepBenchmarks), typeof(OrtStepBenchmarks),
        typeof(ForwardBenchmarks), typeof(TrainingBenchmarks), typeof(SequenceBenchmarks), typeof(SequenceEngineBenchmarks),
    ];

    /// <summary>Runs a command.</summary>
    public static int Main(string[] args)
    {
        string command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "bench";
        string[] rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
        try
        {
            return command switch
            {
                "bench" => Bench(rest),
                "verify" => Verify(),
                "latency" => RunLatency(rest),
                "timed" => Timed(rest),
                "disasm" => Disassembly(rest),
                JitDisassembly.ChildCommand => JitDisassembly.RunChild(),
                "memory" => MemoryCommand(rest),
                "report" => Report(rest),
                "rtneural" => RtNeuralCommand.Run(rest),
                "streams" => Streams.StreamsCommand.Run(rest),
                "floors" => Floors.FloorsCommand.Run(rest),
                "precision" => Precision.PrecisionCommand.Run(rest),
                "startup" => Startup.StartupCommand.Run(rest),
                "help" or "--help" or "-h" => Help(),
                _ => throw new ArgumentException($"Unknown command '{command}'."),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Help();
            return 2;
        }
    }

    private static int Help()
    {
        Console.WriteLine("""
            Fixed benchmarks. dotnet run -c Release --project Benchmarks -- COMMAND
              bench [--quick] [--iteration-time MS] [BenchmarkDotNet options, e.g. --filter *Step* --artifacts DIR --job short]
                      (--filter *SequenceEngine*: training of a ProjSize LSTM and a bidirectional GRU, not in the report)
              verify
              latency [--model gru32,lstm64] [--impl generated,scalar,tensorprimitives] [--steps 1000000]
                      [--baseline-steps 100000] [--out Benchmarks/report]
              timed [--quick] [--out Benchmarks/report/timed.csv]   (one child process per network and implementation;
                      --quick: only the six target networks)
              timed --network gru32 --impl scalar|generated|tensorprimitives|onnxruntime
              timed --network gru32 --profile-batch   (only training-batch32, for 10 s, for a profiler to sample)
              timed --network gru32 --profile-training   (only training, one sequence a call, for 10 s, likewise)
              disasm [--out Benchmarks/report]
              rtneural export --out DIR   (weights and reference outputs of the RTNeural comparison networks, as JSON)
              rtneural time --network gru32 [--runs 7] [--steps 1000000] [--round 1]   (our Step, timed as the harness times RTNeural)
              memory [--out Benchmarks/report]
              streams [--streams 64] [--thread-streams 256] [--rounds 7] [--quick] [--out Benchmarks/report]
              streams [--streams 64] --profile gru32|lstm4x64|gru128   (only the multi-stream call, 10 s, for perf)
                      (many streams per call beside single-stream Step, the FMA floor, ONNX Runtime and PyTorch batched,
                      1 vs 2 threads: streams.md, streams.csv)
              floors [--runs 7] [--steps 1000000] [--quick] [--networks rnn32,gru32] [--out Benchmarks/report]
                      (the machine's constants, Step carried and reset, the FMA and serial floors, what stops each network
                      short of half RTNeural's time: floors.md, floors.csv; reads rtneural.csv from the same folder)
              startup [--runs 3] [--seconds 3] [--networks gru32,lstm32,gru64,streams32,stack,train32,batch32,trainstack]
                      (how soon after a process's first Step, or training iteration, it runs at its steady speed, default
                      tiering, one child process per run; run it under taskset -c 1 for a one-CPU process)
              report --artifacts DIR [--out Benchmarks/report]
            The whole report: scripts/bench/report.sh
            """);
        return 0;
    }

    private static int Bench(string[] args)
    {
        bool quick = false;
        int? iterationMilliseconds = null;
        var passOn = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick")
            {
                quick = true;
            }
            else if (args[i] == "--iteration-time")
            {
                iterationMilliseconds = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
            }
            else
            {
                passOn.Add(args[i]);
            }
        }

        args = [.. passOn];
        if (!args.Any(a => a is "--filter" or "-f"))
        {
            args = [.. args, "--filter", "*"];
        }

        var job = BenchConfig.ChoosesJob(args) ? null : quick ? BenchConfig.QuickJob : BenchConfig.ReportJob;
        if (job is not null && iterationMilliseconds is { } milliseconds)
        {
            job = job.WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(milliseconds));
        }
        var summaries = BenchmarkSwitcher.FromTypes(Suites).Run(args, BenchConfig.Create(job));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    private static int MemoryCommand(string[] args)
    {
        string output = DefaultReportDirectory();
        for (int i = 0; i < args.Length; i++)
        {
            output = args[i] == "--out" ? Value(args, ref i) : throw new ArgumentException($"Unknown memory option '{args[i]}'.");
        }

        Directory.CreateDirectory(output);
        IReadOnlyList<Memory.MemoryResult> results = Memory.MemoryFootprint.MeasureAll();
        Console.WriteLine("network                            weights  instance  1st step  gradients  1st backward  inference/weights  training/weights");
        foreach (Memory.MemoryResult r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Network,-34} {r.Weights,8} {r.Instance,9} {r.FirstStep,9} {r.Gradients,10} {r.FirstBackward,13} {(double)r.Inference / r.Weights,18:F2} {(double)r.Training / r.Weights,17:F2}"));
        }

        Memory.MemoryFootprint.WriteCsv(Path.Combine(output, "memory.csv"), results);
        return 0;
    }

    private static int Verify()
    {
        Console.WriteLine($"Largest difference from the generated model, scaled by max(1, |value|); tolerance {SelfCheck.Tolerance}:");
        foreach (NetworkId network in NetworkId.All)
        {
            float worst = SelfCheck.Check(network);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {network.Display,-14} scalar and TensorPrimitives: step, forward, gradients, Adam: {worst:G3}"));
        }

        Console.WriteLine("ONNX Runtime (RunWithBinding, state fed back) against PyTorch eager, 10 steps:");
        foreach ((NetworkId network, float worst) in SelfCheck.CheckOnnx(OrtStepBenchmarks.OnnxDirectory))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {network.Display,-14} {worst:G3}"));
        }

        Console.WriteLine("All implementations agree.");
        return 0;
    }

    private static int RunLatency(string[] args)
    {
        var models = new List<NetworkId>();
        var implementations = new List<Implementation>();
        int steps = LatencyHarness.DefaultSteps;
        int baselineSteps = 100_000;
        string output = DefaultReportDirectory();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model":
                    models.AddRange(Value(args, ref i).Split(',').Select(NetworkId.Parse));
                    break;
                case "--impl":
                    implementations.AddRange(Value(args, ref i).Split(',').Select(name => Enum.Parse<Implementation>(name, ignoreCase: true)));
                    break;
                case "--steps":
                    steps = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                    break;
                case "--baseline-steps":
                    baselineSteps = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                    break;
                case "--out":
                    output = Value(args, ref i);
                    break;
                default:
                    throw new ArgumentException($"Unknown latency option '{args[i]}'.");
            }
        }

        if (models.Count == 0)
        {
            models.AddRange(NetworkId.Targets.Select(t => t.Network));
        }

        if (implementations.Count == 0)
        {
            implementations.Add(Implementation.Generated);
        }

        Directory.CreateDirectory(output);
        var results = new List<LatencyResult>();
        Console.WriteLine("network        implementation      calls   p50 ns   p90 ns   p99 ns  p99.9 ns     max ns  GCs  allocated  (timer overhead p50, resolution)");
        foreach (NetworkId network in models)
        {
            foreach (Implementation implementation in implementations)
            {
                bool generated = implementation == Implementation.Generated;
                LatencyResult r = LatencyHarness.Run(network, implementation, generated ? steps : baselineSteps);
                results.Add(r);
                if (generated)
                {
                    LatencyPlot.Save(r, Path.Combine(output, $"latency-{network.Key}.png"));
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{network.Display,-14} {implementation,-16} {r.Steps,9} {r.P50,8:F0} {r.P90,8:F0} {r.P99,8:F0} {r.P999,9:F0} {r.Max,10:F0} {r.Collections,4} {r.AllocatedBytes,10}  ({r.TimerOverheadP50:F0} ns, {r.TimerResolution:F0} ns)"));
            }
        }

        LatencyHarness.WriteCsv(Path.Combine(output, "latency.csv"), results);
        // The zero-GC, zero-allocation guarantee is the generated model's; the baselines are only timed.
        return results.Any(r => r.Implementation == Implementation.Generated && (r.Collections != 0 || r.AllocatedBytes != 0)) ? 1 : 0;
    }

    private static int Timed(string[] args)
    {
        string output = Path.Combine(DefaultReportDirectory(), "timed.csv");
        NetworkId? network = null;
        string? implementation = null;
        bool quick = false;
        bool profileBatch = false;
        bool profileTraining = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--network":
                    network = NetworkId.Parse(Value(args, ref i));
                    break;
                case "--impl":
                    implementation = Value(args, ref i);
                    break;
                case "--out":
                    output = Value(args, ref i);
                    break;
                case "--profile-batch":
                    profileBatch = true;
                    break;
                case "--profile-training":
                    profileTraining = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown timed option '{args[i]}'.");
            }
        }

        if (network is { } profiled && profileBatch)
        {
            return TimedRunner.ProfileBatch(profiled);
        }

        if (network is { } profiledOne && profileTraining)
        {
            return TimedRunner.ProfileTraining(profiledOne);
        }

        if (network is { } one)
        {
            return TimedRunner.RunOne(one, implementation ?? nameof(Implementation.Generated));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        return TimedRunner.RunAll(output, quick ? [.. NetworkId.Targets.Select(t => t.Network)] : null);
    }

    private static int Disassembly(string[] args)
    {
        string output = DefaultReportDirectory();
        for (int i = 0; i < args.Length; i++)
        {
            output = args[i] == "--out" ? Value(args, ref i) : throw new ArgumentException($"Unknown disasm option '{args[i]}'.");
        }

        // The JIT's own listing of the tier-1 code (DOTNET_JitDisasm), not DisassemblyDiagnoser: the diagnoser attaches
        // to the finished benchmark process and, on this VM, often gets nothing or stops at the first indirect call,
        // which left the engine's methods out of the listing.
        Directory.CreateDirectory(output);
        string target = Path.Combine(output, "disasm-gru1to32-step.md");
        if (!JitDisassembly.Write(target))
        {
            Console.Error.WriteLine("No disassembly was produced.");
            return 1;
        }

        Console.WriteLine($"Disassembly: {target}");
        return 0;
    }

    private static int Report(string[] args)
    {
        string? artifacts = null;
        string output = DefaultReportDirectory();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--artifacts":
                    artifacts = Value(args, ref i);
                    break;
                case "--out":
                    output = Value(args, ref i);
                    break;
                default:
                    throw new ArgumentException($"Unknown report option '{args[i]}'.");
            }
        }

        if (artifacts is null)
        {
            throw new ArgumentException("report needs --artifacts DIR (BenchmarkDotNet's artifacts folder of the bench run).");
        }

        ReportWriter.Write(artifacts, output);
        Console.WriteLine($"Report: {Path.Combine(output, "README.md")}");
        return 0;
    }

    private static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");

    /// <summary>Benchmarks/report of the repository this binary was built from (found by walking up to Fixed.sln).</summary>
    private static string DefaultReportDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fixed.sln")))
            {
                return Path.Combine(dir.FullName, "Benchmarks", "report");
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "report");
    }
}
