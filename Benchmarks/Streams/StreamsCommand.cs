using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Fixed.Benchmarks.Baselines;
using Fixed.Benchmarks.Floors;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Reporting;
using Fixed.Benchmarks.Suites;
using Fixed.Benchmarks.Timing;
using static Fixed.Benchmarks.Timing.TickTiming;

namespace Fixed.Benchmarks.Streams;

/// <summary>
/// The many-streams measurements (issue 14), all in one process and one run:
/// <list type="number">
/// <item>the machine's multiply-add rate (<see cref="FmaCalibration"/>), sampled between the network measurements;</item>
/// <item>per network, at N streams: N single-stream <c>Step</c> calls, one multi-stream <c>Step</c>, and ONNX Runtime's
/// batched <c>Run</c>, each call timed on its own, the three alternated sample by sample so that load hits them alike;
/// the medians give ns per stream-step, the ratio multi ÷ single, multi ÷ the FMA floor (multiply-adds ÷ rate), and multi ÷
/// the work floor (the FMA floor plus the activations at their measured throughput, <see cref="MachineCalibration"/>);</item>
/// <item>PyTorch's batched eager step of the same N (<c>scripts/bench/pytorch_bench.py --streams N</c>, a child process);</item>
/// <item>two cores: a larger set of streams split over 1 and 2 threads (each thread its own slice of states, one
/// shared model), throughput in stream-steps per second, alternated round by round.</item>
/// </list>
/// Before timing, the multi-stream call is checked against the single-stream one (same inputs from the zero state,
/// every hidden unit within 1e-5); a disagreement fails the command.
/// </summary>
internal static class StreamsCommand
{
    private static readonly string[] Networks = ["gru32", "lstm4x64", "gru128"];

    /// <summary>
    /// Runs the command; started without <c>DOTNET_TC_CallCountingDelayMs=0</c>, it runs itself again with it (as
    /// <c>timed</c> does): under the default delay and a loaded machine the warm-up left the multi-stream path in tier-0
    /// code (GRU 1→32 measured 7.5 µs a stream-step instead of ~0.2).
    /// </summary>
    public static int Run(string[] args)
    {
        if (!PromptTiering.IsOn)
        {
            return PromptTiering.Rerun("streams", args);
        }

        int streams = 64;
        int threadStreams = 256;
        int rounds = 7;
        int samples = 300;
        string output = Path.Combine("Benchmarks", "report");
        string python = "/usr/bin/python3.11";
        string script = Path.Combine("scripts", "bench", "pytorch_bench.py");
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--streams": streams = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--thread-streams": threadStreams = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": output = args[++i]; break;
                case "--python": python = args[++i]; break;
                case "--quick": quick = true; rounds = 2; samples = 60; break;
                case "--profile": return Profile(args[++i], streams);
                default: throw new ArgumentException($"Unknown streams option '{args[i]}'.");
            }
        }

        Directory.CreateDirectory(output);
        string loadBefore = Load();
        var fmaSamples = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            fmaSamples.Add(FmaCalibration.MultiplyAddsPerNanosecond());
        }

        // The activations' throughput (the floors' calibration), before and after the networks, the better kept.
        double sigmoid = MachineCalibration.SigmoidThroughputNanoseconds(), tanh = MachineCalibration.TanhThroughputNanoseconds();
        var rows = new List<Row>();
        foreach (string key in Networks)
        {
            rows.Add(Measure(key, streams, rounds, samples, fmaSamples));
        }

        sigmoid = Math.Min(sigmoid, MachineCalibration.SigmoidThroughputNanoseconds());
        tanh = Math.Min(tanh, MachineCalibration.TanhThroughputNanoseconds());
        rows = rows.ConvertAll(r => r with { ActivationsNs = ActivationNanoseconds(r.Key, sigmoid, tanh) });
        double fmaRate = Statistics.Median(fmaSamples);
        Dictionary<string, double> pytorch = PyTorch(python, script, streams, quick, output);
        var threads = new List<ThreadRow>();
        foreach (string key in Networks)
        {
            threads.Add(MeasureThreads(key, threadStreams, quick ? 2 : 5));
        }

        string loadAfter = Load();
        string markdown = Markdown(rows, threads, pytorch, fmaRate, fmaSamples.Count, streams, threadStreams, loadBefore, loadAfter);
        File.WriteAllText(Path.Combine(output, "streams.md"), markdown);
        WriteCsv(Path.Combine(output, "streams.csv"), rows, threads, pytorch, fmaRate, streams);
        Console.WriteLine(markdown);
        return 0;
    }

    /// <summary>
    /// <c>--profile KEY</c>: only the multi-stream call of one network, for 10 s, for a profiler to sample
    /// (<c>DOTNET_PerfMapEnabled=1 perf record -e cpu-clock ...</c>); prints ns per stream-step.
    /// </summary>
    private static int Profile(string key, int streams)
    {
        StreamSubject subject = StreamSubject.Create(key, streams);
        var clock = Stopwatch.StartNew();
        long calls = 0;
        while (clock.ElapsedMilliseconds < 10_000)
        {
            subject.StepAllStreams();
            calls++;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}: {clock.Elapsed.TotalNanoseconds / calls / streams:F1} ns per stream-step over {calls:N0} calls of N = {streams}"));
        return 0;
    }

    private sealed record Row(string Key, string Display, long MultiplyAdds, double SingleNs, double MultiNs, double OrtNs, int Streams, double FloorNs)
    {
        /// <summary>A stream-step's σ and tanh vectors at their measured throughput (0 until measured).</summary>
        public double ActivationsNs { get; init; }

        /// <summary>The FMA floor plus the activations: both on the floating-point pipes, so no schedule beats their sum.</summary>
        public double WorkNs => FloorNs + ActivationsNs;
    }

    /// <summary>A stream-step's activations: the floors' count of σ and tanh vectors for the network, at the measured throughput.</summary>
    private static double ActivationNanoseconds(string key, double sigmoid, double tanh)
    {
        NetworkId n = StreamSubject.Create(key, 1).Network;
        return new FloorNetwork(key, n.Display, n.Cell, n.Input, n.Hidden, 1, false).ActivationNanoseconds(sigmoid, tanh);
    }

    private sealed record ThreadRow(string Key, string Display, int Streams, double OneThread, double TwoThreads);

    private static Row Measure(string key, int streams, int rounds, int samples, List<double> fmaSamples)
    {
        StreamSubject subject = StreamSubject.Create(key, streams);
        CheckAgreement(key, streams);
        using var ort = new OrtBatchedNetwork(subject.Network, OrtStepBenchmarks.OnnxDirectory, streams);
        var random = new Random(1);
        for (int i = 0; i < ort.Input.Length; i++)
        {
            ort.Input[i] = (float)(random.NextDouble() * 2 - 1);
        }

        // Warm-up: past tier-0 and OSR into the optimised code of all three.
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 600)
        {
            subject.StepEachStream();
            subject.StepAllStreams();
            ort.Step();
        }

        var single = new List<long>();
        var multi = new List<long>();
        var onnx = new List<long>();
        for (int r = 0; r < rounds; r++)
        {
            subject.Reset();
            for (int s = 0; s < samples; s++)
            {
                long t0 = Stopwatch.GetTimestamp();
                subject.StepEachStream();
                long t1 = Stopwatch.GetTimestamp();
                subject.StepAllStreams();
                long t2 = Stopwatch.GetTimestamp();
                ort.Step();
                long t3 = Stopwatch.GetTimestamp();
                single.Add(t1 - t0);
                multi.Add(t2 - t1);
                onnx.Add(t3 - t2);
            }

            fmaSamples.Add(FmaCalibration.MultiplyAddsPerNanosecond());
        }

        double floor = subject.MultiplyAdds / Statistics.Median(fmaSamples);
        return new Row(key, subject.Network.Display, subject.MultiplyAdds, MedianTicks(single) / streams, MedianTicks(multi) / streams,
            MedianTicks(onnx) / streams, streams, floor);
    }

    /// <summary>The multi-stream call against each stream's own single-stream call: 50 steps from the zero state, same inputs.</summary>
    private static void CheckAgreement(string key, int streams)
    {
        StreamSubject each = StreamSubject.Create(key, streams);
        StreamSubject all = StreamSubject.Create(key, streams);
        double worst = 0;
        for (int t = 0; t < 50; t++)
        {
            each.StepEachStream();
            all.StepAllStreams();
            for (int i = 0; i < each.Outputs.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(each.Outputs[i] - all.Outputs[i]));
            }

            for (int s = 0; s < streams; s++)
            {
                ReadOnlySpan<float> a = each.Hidden(s), b = all.Hidden(s);
                for (int u = 0; u < a.Length; u++)
                {
                    worst = Math.Max(worst, Math.Abs(a[u] - b[u]));
                }
            }
        }

        if (!(worst <= 1e-5))
        {
            throw new InvalidOperationException($"{key}: the multi-stream Step differs from single-stream Steps by {worst:G3} (more than 1e-5).");
        }
    }

    /// <summary>
    /// <paramref name="totalStreams"/> streams stepped by one thread, then split in two halves over two threads (one
    /// shared model; each thread its own states, inputs and outputs), alternated round by round; stream-steps per second.
    /// </summary>
    private static ThreadRow MeasureThreads(string key, int totalStreams, int rounds)
    {
        StreamSubject subject = StreamSubject.Create(key, totalStreams);
        int half = totalStreams / 2;
        int steps = Math.Max(50, (int)(2_000_000_000L / (subject.MultiplyAdds * totalStreams)));
        var one = new List<double>();
        var two = new List<double>();
        using var start = new Barrier(3);
        using var done = new Barrier(3);
        bool stop = false;
        void Worker(int first, int count)
        {
            while (true)
            {
                start.SignalAndWait();
                if (Volatile.Read(ref stop))
                {
                    return;
                }

                for (int t = 0; t < steps; t++)
                {
                    subject.StepSlice(first, count, t);
                }

                done.SignalAndWait();
            }
        }

        var a = new Thread(() => Worker(0, half)) { IsBackground = true };
        var b = new Thread(() => Worker(half, totalStreams - half)) { IsBackground = true };
        a.Start();
        b.Start();
        for (int t = 0; t < steps; t++)
        {
            subject.StepSlice(0, totalStreams, t);
        }

        for (int r = 0; r <= rounds; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int t = 0; t < steps; t++)
            {
                subject.StepSlice(0, totalStreams, t);
            }

            double oneSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            start.SignalAndWait();
            long t1 = Stopwatch.GetTimestamp();
            done.SignalAndWait();
            double twoSeconds = Stopwatch.GetElapsedTime(t1).TotalSeconds;
            if (r > 0)
            {
                // Round 0 warms both threads' code paths.
                one.Add(steps * (double)totalStreams / oneSeconds);
                two.Add(steps * (double)totalStreams / twoSeconds);
            }
        }

        Volatile.Write(ref stop, true);
        start.SignalAndWait();
        a.Join();
        b.Join();
        return new ThreadRow(key, subject.Network.Display, totalStreams, Statistics.Median(one), Statistics.Median(two));
    }

    private static Dictionary<string, double> PyTorch(string python, string script, int streams, bool quick, string output)
    {
        var result = new Dictionary<string, double>();
        if (!File.Exists(python) || !File.Exists(script))
        {
            Console.Error.WriteLine($"PyTorch not measured: {python} or {script} missing.");
            return result;
        }

        string csv = Path.Combine(output, "pytorch-streams.csv");
        var info = new ProcessStartInfo(python) { UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--streams");
        info.ArgumentList.Add(streams.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--out");
        info.ArgumentList.Add(csv);
        if (quick)
        {
            info.ArgumentList.Add("--quick");
        }

        using Process process = Process.Start(info)!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} --streams failed with exit code {process.ExitCode}.");
        }

        foreach (string line in File.ReadLines(csv).Skip(1))
        {
            string[] cells = line.Split(',');
            result[cells[0]] = double.Parse(cells[2], CultureInfo.InvariantCulture);
        }

        return result;
    }

    private static string Markdown(List<Row> rows, List<ThreadRow> threads, Dictionary<string, double> pytorch, double fmaRate, int fmaCount,
        int streams, int threadStreams, string loadBefore, string loadAfter)
    {
        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"## Many streams per call (N = {streams})");
        md.AppendLine();
        md.AppendLine(c, $"Load average {loadBefore} before, {loadAfter} after; {Environment.ProcessorCount} logical cores; vector width {FmaCalibration.Lanes} floats.");
        md.AppendLine(c, $"Multiply-add rate of this core, measured in this run: **{fmaRate:F1} per ns** (median of {fmaCount} samples of 12 independent FMA chains, taken between the network measurements).");
        md.AppendLine("Per stream-step = the median time of one call ÷ N. `single` is N calls of `Step(ref State, ...)`, one per stream; `multi` is one");
        md.AppendLine("`Step(Span<State>, ...)` call; ONNX Runtime is one batched `Run` (1 thread, pinned buffers); the three alternate call by call.");
        md.AppendLine("PyTorch is its batched eager step (`rnn(x, h)` + `linear`, no_grad, 1 thread), same N, run by this command as a child process.");
        md.AppendLine("Floor = the network's multiply-adds per stream-step ÷ the measured rate. Activations = the stream-step's σ and tanh vectors at");
        md.AppendLine("the throughput measured on independent vectors (the floors section's calibration); they run on the same floating-point pipes");
        md.AppendLine("as the multiply-adds, so floor + activations is a bound no schedule beats (the work floor).");
        md.AppendLine();
        md.AppendLine("| network | multiply-adds | single ns | multi ns | multi ÷ single | floor ns | multi ÷ floor | activations ns | multi ÷ work floor | ONNX Runtime ns | PyTorch ns |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (Row r in rows)
        {
            string torch = pytorch.TryGetValue(r.Key, out double ns) ? (ns / streams).ToString("N0", c) : "not measured";
            md.AppendLine(c, $"| {r.Display} | {r.MultiplyAdds:N0} | {r.SingleNs:F1} | {r.MultiNs:F1} | {r.MultiNs / r.SingleNs:F2} | {r.FloorNs:F1} | {r.MultiNs / r.FloorNs:F2} | {r.ActivationsNs:F1} | {r.MultiNs / r.WorkNs:F2} | {r.OrtNs:F1} | {torch} |");
        }

        md.AppendLine();
        md.AppendLine(c, $"### Two cores: {threadStreams} streams, one shared model, 1 thread vs 2 threads (each its own half of the states)");
        md.AppendLine();
        md.AppendLine("Each thread calls the multi-stream `Step` on its own slice, free-running (no per-step join); stream-steps per second, median of");
        md.AppendLine("rounds that alternate 1 and 2 threads. Two threads can only scale if the machine's other load leaves both cores free.");
        md.AppendLine();
        md.AppendLine("| network | 1 thread, M stream-steps/s | 2 threads, M stream-steps/s | scaling |");
        md.AppendLine("| --- | ---: | ---: | ---: |");
        foreach (ThreadRow t in threads)
        {
            md.AppendLine(c, $"| {t.Display} | {t.OneThread / 1e6:F1} | {t.TwoThreads / 1e6:F1} | {t.TwoThreads / t.OneThread:F2}× |");
        }

        return md.ToString();
    }

    private static void WriteCsv(string path, List<Row> rows, List<ThreadRow> threads, Dictionary<string, double> pytorch, double fmaRate, int streams)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string> { "kind,network,streams,threads,implementation,ns_per_stream_step,stream_steps_per_s,multiply_adds,fma_per_ns" };
        foreach (Row r in rows)
        {
            lines.Add(string.Create(c, $"step,{r.Key},{streams},1,single,{r.SingleNs:F2},,{r.MultiplyAdds},{fmaRate:F2}"));
            lines.Add(string.Create(c, $"step,{r.Key},{streams},1,multi,{r.MultiNs:F2},,{r.MultiplyAdds},{fmaRate:F2}"));
            lines.Add(string.Create(c, $"step,{r.Key},{streams},1,onnxruntime,{r.OrtNs:F2},,{r.MultiplyAdds},{fmaRate:F2}"));
            if (pytorch.TryGetValue(r.Key, out double ns))
            {
                lines.Add(string.Create(c, $"step,{r.Key},{streams},1,pytorch,{ns / streams:F2},,{r.MultiplyAdds},{fmaRate:F2}"));
            }
        }

        foreach (ThreadRow t in threads)
        {
            lines.Add(string.Create(c, $"threads,{t.Key},{t.Streams},1,multi,,{t.OneThread:F0},,"));
            lines.Add(string.Create(c, $"threads,{t.Key},{t.Streams},2,multi,,{t.TwoThreads:F0},,"));
        }

        File.WriteAllLines(path, lines);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static double MedianTicks(List<long> ticks) => Statistics.Median(ticks.Select(t => t * NanosecondsPerTick));
}
