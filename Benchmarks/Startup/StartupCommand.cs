using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using Fixed.Benchmarks.Comparison;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Timing;

namespace Fixed.Benchmarks.Startup;

/// <summary>
/// How soon after a process's first <c>Step</c> the step runs at its steady speed, under the runtime's default tiering
/// (no environment variable is set or asked for, unlike <c>timed</c>, <c>floors</c> and <c>streams</c>). Each run is a
/// fresh child process: it steps one network from the zero state in chunks of 1,000 steps for a few seconds, timing each
/// chunk from the first call on. Reported per run: the first chunk (the first call's compilation included), the steady
/// speed (median chunk of the last quarter), when the chunks came within 1.5× of it for good (the median of every later
/// window of 20 chunks), and how many steps ran at more than twice it. Run it pinned (<c>taskset -c 1</c>; the children inherit the affinity) to see a one-CPU process,
/// where the runtime's tiering delay is ten times as long.
/// </summary>
/// <remarks>
/// The loop that times the chunks is itself compiled optimized at its first call, and inlines the model's <c>Step</c>
/// (the generated method that calls the engine), so that what tiers is the library's code, not the harness's.
/// </remarks>
internal static class StartupCommand
{
    private const string Child = "startup-child";
    private const int Chunk = 1000;
    private const int Window = 20;

    /// <summary>
    /// The networks: the comparison networks by key, <c>streams32</c> (GRU 1→32, one multi-stream Step of 64),
    /// <c>stack</c> (<see cref="MemoryStack"/>: Linear, Tanh, GRU, LSTM, Linear, GELU, Linear), and training iterations
    /// (window 32; <c>Backward</c>, <c>ClipGradNorm(1)</c>, an Adam step, <c>ZeroGrad</c>), where a "step" is one
    /// iteration: GRU 1→32 with one sequence an iteration (<c>train32</c>) or a batch of 32 (<c>batch32</c>), and the
    /// stack with one (<c>trainstack</c>).
    /// </summary>
    private static readonly string[] Keys = ["gru32", "lstm32", "gru64", "streams32", "stack", "train32", "batch32", "trainstack"];

    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == Child)
        {
            return RunChild(args[1], double.Parse(args[2], CultureInfo.InvariantCulture));
        }

        int runs = 3;
        double seconds = 3;
        string[] networks = Keys;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs": runs = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(Value(args, ref i), CultureInfo.InvariantCulture); break;
                case "--networks": networks = Value(args, ref i).Split(','); break;
                default: throw new ArgumentException($"Unknown startup option '{args[i]}'.");
            }
        }

        if (runs < 1 || seconds <= 0 || networks.Any(n => !Keys.Contains(n)))
        {
            throw new ArgumentException($"startup needs --runs >= 1, --seconds > 0 and networks among {string.Join(", ", Keys)}.");
        }

        Console.WriteLine($"startup: {runs} process(es) per network, {seconds:G} s each; this process may use {Environment.ProcessorCount} CPU(s); "
            + $"DOTNET_TieredCompilation={Variable("DOTNET_TieredCompilation")}, DOTNET_TC_CallCountingDelayMs={Variable("DOTNET_TC_CallCountingDelayMs")}");
        Console.WriteLine("network,run,first_chunk_ns_per_step,steady_ns_per_step,settled_within_1.5x_ms,steps_over_2x");
        foreach (string network in networks)
        {
            for (int run = 1; run <= runs; run++)
            {
                ProcessStartInfo start = SelfProcess.StartInfo("startup", Child, network, seconds.ToString(CultureInfo.InvariantCulture));
                start.RedirectStandardOutput = true;
                using Process child = Process.Start(start)!;
                string line = child.StandardOutput.ReadToEnd().Trim();
                child.WaitForExit();
                if (child.ExitCode != 0)
                {
                    Console.Error.WriteLine($"startup: the run of {network} failed ({child.ExitCode}).");
                    return 1;
                }

                Console.WriteLine($"{network},{run},{line}");
            }
        }

        return 0;
    }

    private static int RunChild(string network, double seconds)
    {
        Console.WriteLine(network switch
        {
            "streams32" => Summary(TimeChunks(new StreamsStepper(new Gru1To32(NetworkCatalog.Seed)), seconds)),
            "stack" => Summary(TimeChunks(new StackStepper(new MemoryStack(NetworkCatalog.Seed)), seconds)),
            "train32" => Summary(TimeChunks(new TrainingStepper<Gru1To32>(1), seconds)),
            "batch32" => Summary(TimeChunks(new TrainingStepper<Gru1To32>(32), seconds)),
            "trainstack" => Summary(TimeChunks(new TrainingStepper<MemoryStack>(1), seconds)),
            _ => RtNeuralCommand.Dispatch(network, new ChunksAction(seconds)),
        });
        return 0;
    }

    /// <summary>The first chunk, the steady speed, when the chunks settled within 1.5× of it, the steps over 2× it.</summary>
    private static string Summary(List<(double Milliseconds, double Nanoseconds, int Steps)> chunks)
    {
        double[] tail = chunks.Skip(chunks.Count * 3 / 4).Select(c => c.Nanoseconds).Order().ToArray();
        double steady = tail[tail.Length / 2];
        // Settled: from the first window of Window chunks after which no window's median is over 1.5x steady (a single slow
        // chunk, a timer tick or another method's compilation on the same CPU, does not count).
        int lastSlow = -1;
        var window = new double[Window];
        for (int i = 0; i + Window <= chunks.Count; i++)
        {
            for (int k = 0; k < Window; k++)
            {
                window[k] = chunks[i + k].Nanoseconds;
            }

            Array.Sort(window);
            if (window[Window / 2] > 1.5 * steady)
            {
                lastSlow = i;
            }
        }

        double within = lastSlow + 1 + Window <= chunks.Count ? chunks[lastSlow + 1].Milliseconds : double.NaN;
        long slowSteps = chunks.Where(c => c.Nanoseconds > 2 * steady).Sum(c => (long)c.Steps);
        return string.Create(CultureInfo.InvariantCulture, $"{chunks[0].Nanoseconds:F0},{steady:F1},{within:F0},{slowSteps}");
    }

    private readonly struct ChunksAction(double seconds) : RtNeuralCommand.IAction
    {
        public string Run<TDriver>()
            where TDriver : struct, IStepDriver
        {
            var driver = default(TDriver);
            driver.Create(NetworkCatalog.Seed);
            return Summary(TimeChunks(new DriverStepper<TDriver>(driver), seconds));
        }
    }

    /// <summary>
    /// One step (or one multi-stream call) of the network under test, on input <c>x</c>, returning its first output; or one
    /// training iteration on its own fixed window, returning the loss (<c>x</c> unused).
    /// </summary>
    private interface IStepper
    {
        /// <summary>How many calls of <see cref="Step"/> a timed chunk holds (~1-10 ms of steady work).</summary>
        int Chunk { get; }

        float Step(float x);
    }

    /// <summary>A comparison network's one-stream <c>Step</c>.</summary>
    private struct DriverStepper<TDriver>(TDriver driver) : IStepper
        where TDriver : struct, IStepDriver
    {
        public readonly int Chunk => StartupCommand.Chunk;

        private TDriver _driver = driver;
        private readonly float[] _input = new float[1];
        private readonly float[] _output = new float[1];

        public float Step(float x)
        {
            _input[0] = x;
            _driver.Step(_input, _output);
            return _output[0];
        }
    }

    /// <summary>GRU 1→32's multi-stream <c>Step</c> of 64 streams, all on the same input.</summary>
    private readonly struct StreamsStepper(Gru1To32 model) : IStepper
    {
        public int Chunk => StartupCommand.Chunk;

        private readonly Gru1To32.State[] _states = new Gru1To32.State[64];
        private readonly float[] _inputs = new float[64];
        private readonly float[] _outputs = new float[64];

        public float Step(float x)
        {
            _inputs.AsSpan().Fill(x);
            model.Step(_states, _inputs, _outputs);
            return _outputs[0];
        }
    }

    /// <summary>The layer stack's <c>Step</c> (its generated code and the kernels it calls).</summary>
    private struct StackStepper(MemoryStack model) : IStepper
    {
        public readonly int Chunk => StartupCommand.Chunk;

        private MemoryStack.State _state;
        private readonly float[] _input = new float[MemoryStack.InputSize];
        private readonly float[] _output = new float[MemoryStack.OutputSize];

        public float Step(float x)
        {
            _input[0] = x;
            model.Step(ref _state, _input, _output);
            return _output[0];
        }
    }

    /// <summary>
    /// A training iteration on a window of 32 steps (one input, one output): <c>Backward</c> of one sequence from the zero
    /// state (<c>batch</c> = 1) or of a batch of sequences, MSE on every step, then <c>ClipGradNorm(1)</c>, an Adam step and
    /// <c>ZeroGrad</c>, as the benchmark's training suites time it: on the same window every iteration (sin(0.01 t) and its
    /// next value, filled once), so that the timed chunks hold the training and nothing else.
    /// </summary>
    private readonly struct TrainingStepper<TModel> : IStepper
        where TModel : class, IRecurrentModel<TModel>
    {
        private const int Window = 32;
        private readonly TModel _model;
        private readonly Adam _adam;
        private readonly int _batch;
        private readonly float[] _state = new float[TModel.StateLength];
        private readonly float[] _inputs;
        private readonly float[] _targets;

        public TrainingStepper(int batch)
        {
            _model = TModel.Create(NetworkCatalog.Seed);
            _adam = new Adam(_model, 1e-3f);
            _batch = batch;
            _inputs = new float[batch * Window];
            _targets = new float[batch * Window];
            for (int i = 0; i < _inputs.Length; i++)
            {
                _inputs[i] = MathF.Sin(0.01f * i);
                _targets[i] = MathF.Sin(0.01f * (i + 1));
            }
        }

        public int Chunk => _batch == 1 ? 100 : 10;

        public float Step(float x)
        {
            float loss;
            if (_batch == 1)
            {
                Array.Clear(_state);
                loss = _model.Backward(_state, _inputs, _targets, Loss.Mse, LossOn.AllSteps);
            }
            else
            {
                loss = _model.Backward(_inputs, _targets, _batch, Loss.Mse, LossOn.AllSteps);
            }

            _model.ClipGradNorm(1f);
            _adam.Step();
            _model.ZeroGrad();
            return loss;
        }
    }

    /// <summary>
    /// Chunks of <see cref="IStepper.Chunk"/> steps on x = sin(0.01 t) until <paramref name="seconds"/> have passed since the first
    /// call: (ms since then, ns a step).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static List<(double, double, int)> TimeChunks<TStepper>(TStepper stepper, double seconds)
        where TStepper : struct, IStepper
    {
        var chunks = new List<(double, double, int)>(100_000);
        float sum = 0;
        long first = Stopwatch.GetTimestamp();
        long end = first + (long)(seconds * Stopwatch.Frequency);
        for (long now = first; now < end;)
        {
            int chunk = stepper.Chunk;
            for (int t = 0; t < chunk; t++)
            {
                sum += stepper.Step(MathF.Sin(0.01f * t));
            }

            long next = Stopwatch.GetTimestamp();
            chunks.Add(((now - first) * 1e3 / Stopwatch.Frequency, (next - now) * 1e9 / Stopwatch.Frequency / chunk, chunk));
            now = next;
        }

        return float.IsFinite(sum) ? chunks : throw new InvalidOperationException("Non-finite outputs.");
    }

    private static string Variable(string name) => Environment.GetEnvironmentVariable(name) ?? "unset";

    private static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
}
