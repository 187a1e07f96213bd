using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Timing;

namespace Fixed.Benchmarks.Comparison;

/// <summary>
/// Our side of the RTNeural comparison (<c>scripts/bench/rtneural.sh</c> drives both sides):
/// <list type="bullet">
/// <item><c>rtneural export --out DIR</c> writes, per network, <c>DIR/KEY.json</c>: the generated model's weights as a
/// PyTorch state_dict in JSON (what RTNeural's <c>torch_helpers</c> load), its shape, and its outputs over the first
/// <see cref="CheckSteps"/> steps of the comparison input, which the C++ harness must reproduce before it times anything.</item>
/// <item><c>rtneural time --network KEY [--runs N] [--steps N] [--round R]</c> times our <c>Step</c> the way the
/// harness times RTNeural's <c>forward</c>: from the zero state, <c>steps</c> consecutive steps over the precomputed
/// input, one clock read before and after, ns per step; one CSV row per run.</item>
/// </list>
/// </summary>
public static class RtNeuralCommand
{
    /// <summary>The steps of the reference outputs that both sides must agree on.</summary>
    public const int CheckSteps = 100;

    /// <summary>The CSV header of the rows both sides print (the harness leaves max_abs_diff empty only on our side).</summary>
    public const string Header = "key,implementation,round,steps,ns_per_step,max_abs_diff";

    private static readonly TimeSpan WarmTime = TimeSpan.FromMilliseconds(300);

    /// <summary>Runs <c>export</c> or <c>time</c>.</summary>
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("rtneural needs a subcommand: export --out DIR, or time --network KEY [--runs N] [--steps N] [--round R].");
        }

        string? output = null, network = null;
        int runs = 7, steps = 1_000_000, round = 1;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out":
                    output = Value(args, ref i);
                    break;
                case "--network":
                    network = Value(args, ref i);
                    break;
                case "--runs":
                    runs = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                    break;
                case "--steps":
                    steps = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                    break;
                case "--round":
                    round = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"Unknown rtneural option '{args[i]}'.");
            }
        }

        switch (args[0])
        {
            case "export":
                Directory.CreateDirectory(output ?? throw new ArgumentException("rtneural export needs --out DIR."));
                foreach (ComparisonNetwork n in ComparisonNetwork.All)
                {
                    string path = Path.Combine(output, n.Key + ".json");
                    File.WriteAllText(path, Dispatch(n.Key, new ExportAction(n)));
                    Console.WriteLine($"{n.Display}: {path}");
                }

                return 0;
            case "time":
                ComparisonNetwork one = ComparisonNetwork.Parse(network ?? throw new ArgumentException("rtneural time needs --network KEY."));
                if (runs < 1 || steps < 1)
                {
                    throw new ArgumentException("--runs and --steps must be positive.");
                }

                if (!PromptTiering.IsOn)
                {
                    // As floors and streams do (rtneural.sh sets it already): run by hand without it, pinned to one core, GRU
                    // 1->32's Step was timed in tier-0 code for its first two runs of 10^6 steps (see JitWarmUp).
                    return PromptTiering.Rerun("rtneural", args);
                }

                Console.WriteLine(Dispatch(one.Key, new TimeAction(one, runs, steps, round)));
                return 0;
            default:
                throw new ArgumentException($"Unknown rtneural subcommand '{args[0]}'.");
        }
    }

    /// <summary>Something done with one network's <see cref="IStepDriver"/>, compiled for that driver (see <see cref="Dispatch"/>).</summary>
    internal interface IAction
    {
        string Run<TDriver>()
            where TDriver : struct, IStepDriver;
    }

    /// <summary>Runs <paramref name="action"/> with the driver of the network named <paramref name="key"/>: the comparison's
    /// networks, and <c>rnn32</c> (RNN tanh 1→32, which RTNeural's comparison does not have).</summary>
    internal static string Dispatch<TAction>(string key, TAction action)
        where TAction : IAction => key switch
        {
            "gru8" => action.Run<Gru8Driver>(),
            "gru32" => action.Run<Gru32Driver>(),
            "gru64" => action.Run<Gru64Driver>(),
            "gru3x32" => action.Run<Gru3To32Driver>(),
            "lstm32" => action.Run<Lstm32Driver>(),
            "lstm64" => action.Run<Lstm64Driver>(),
            "gru32l2" => action.Run<Gru32x2Driver>(),
            "gru64bf16" => action.Run<Gru64Bf16Driver>(),
            "lstm64bf16" => action.Run<Lstm64Bf16Driver>(),
            "rnn32" => action.Run<Rnn32Driver>(),
            _ => throw new ArgumentOutOfRangeException(nameof(key), key, "No driver for this network."),
        };

    /// <summary>The comparison input for <paramref name="steps"/> steps, <c>[steps, Input]</c>.</summary>
    private static float[] Inputs(ComparisonNetwork network, int steps)
    {
        float[] inputs = new float[steps * network.Input];
        for (int t = 0; t < steps; t++)
        {
            ComparisonNetwork.InputAt(t, inputs.AsSpan(t * network.Input, network.Input));
        }

        return inputs;
    }

    private readonly struct ExportAction(ComparisonNetwork network) : IAction
    {
        public string Run<TDriver>()
            where TDriver : struct, IStepDriver
        {
            var driver = default(TDriver);
            driver.Create(NetworkCatalog.Seed);
            ReadOnlySpan<float> parameters = driver.Parameters;
            var json = new StringBuilder();
            json.Append('{').AppendLine();
            json.Append(Invariant($"  \"fixed.key\": \"{network.Key}\",\n  \"fixed.cell\": \"{network.Cell.ToString().ToLowerInvariant()}\",\n"));
            json.Append(Invariant($"  \"fixed.input\": {network.Input},\n  \"fixed.hidden\": {network.Hidden},\n  \"fixed.layers\": {network.Layers},\n"));

            // Our outputs over the first steps, from the zero state: the harness must reproduce them.
            float[] inputs = Inputs(network, CheckSteps);
            float[] output = new float[1];
            json.Append("  \"fixed.reference\": [");
            for (int t = 0; t < CheckSteps; t++)
            {
                driver.Step(inputs.AsSpan(t * network.Input, network.Input), output);
                json.Append(t == 0 ? string.Empty : ", ").Append(Number(output[0]));
            }

            json.Append(']');
            foreach (ParameterInfo tensor in driver.Layout)
            {
                json.Append(",\n  \"").Append(tensor.Name).Append("\": ");
                ReadOnlySpan<float> values = parameters.Slice(tensor.Offset, tensor.Length);
                if (tensor.Shape.Count == 1)
                {
                    Vector(json, values);
                }
                else if (tensor.Shape.Count == 2)
                {
                    int columns = tensor.Shape[1];
                    json.Append('[');
                    for (int row = 0; row < tensor.Shape[0]; row++)
                    {
                        json.Append(row == 0 ? string.Empty : ", ");
                        Vector(json, values.Slice(row * columns, columns));
                    }

                    json.Append(']');
                }
                else
                {
                    throw new InvalidOperationException($"{tensor.Name}: only vectors and matrices are exported.");
                }
            }

            json.AppendLine().Append('}').AppendLine();
            return json.ToString();
        }

        private static void Vector(StringBuilder json, ReadOnlySpan<float> values)
        {
            json.Append('[');
            for (int i = 0; i < values.Length; i++)
            {
                json.Append(i == 0 ? string.Empty : ", ").Append(Number(values[i]));
            }

            json.Append(']');
        }

        // Nine significant digits: the float comes back exactly.
        private static string Number(float value) =>
            float.IsFinite(value) ? value.ToString("G9", CultureInfo.InvariantCulture) : throw new InvalidOperationException("Non-finite weight or output.");
    }

    /// <summary><paramref name="steps"/> steps over <paramref name="inputs"/>; returns the sum of the outputs. Also the floors command's carried steps.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static float RunSteps<TDriver>(ref TDriver driver, float[] inputs, int inputSize, int steps, float[] output)
        where TDriver : struct, IStepDriver
    {
        ReadOnlySpan<float> all = inputs;
        Span<float> y = output;
        float sum = 0;
        for (int t = 0; t < steps; t++)
        {
            driver.Step(all.Slice(t * inputSize, inputSize), y);
            sum += y[0];
        }

        return sum;
    }

    private readonly struct TimeAction(ComparisonNetwork network, int runs, int steps, int round) : IAction
    {
        public string Run<TDriver>()
            where TDriver : struct, IStepDriver
        {
            var driver = default(TDriver);
            driver.Create(NetworkCatalog.Seed);
            float[] inputs = Inputs(network, steps);
            float[] output = new float[1];

            // Warm-up: calls of the timing loop until the JIT has compiled nothing for a while (tier-1 code; the script sets
            // DOTNET_TC_CallCountingDelayMs=0), then a full run.
            int chunk = Math.Min(steps, 1000), inputSize = network.Input;
            JitWarmUp.UntilQuiet(
                () =>
                {
                    driver.Reset();
                    RunSteps(ref driver, inputs, inputSize, chunk, output);
                },
                WarmTime,
                100);

            // One untimed run of full length (the harness does the same): the whole input has been read once.
            driver.Reset();
            float sink = RunSteps(ref driver, inputs, network.Input, steps, output);
            var rows = new StringBuilder();
            for (int run = 0; run < runs; run++)
            {
                driver.Reset();
                long start = Stopwatch.GetTimestamp();
                sink += RunSteps(ref driver, inputs, network.Input, steps, output);
                double ns = (Stopwatch.GetTimestamp() - start) * (1e9 / Stopwatch.Frequency) / steps;
                rows.Append(run == 0 ? string.Empty : "\n")
                    .Append(Invariant($"{network.Key},fixed,{round + run},{steps},{ns:F2},"));
            }

            if (!float.IsFinite(sink))
            {
                throw new InvalidOperationException("Non-finite outputs.");
            }

            return rows.ToString();
        }
    }

    private static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
