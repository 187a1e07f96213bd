// Calls Step(ref State, input, output) of each network named on the command line enough times for the JIT to compile
// it fully optimized (run with DOTNET_TieredCompilation=0), so that DOTNET_JitDisasm="Step" prints the code that runs.
// The networks are the benchmark's (Benchmarks/Models): input 1, a Linear(H, 1) head. scripts/ci/check_step_disasm.sh
// runs it and reads the listing.
using System;
using Fixed;

string[] names = args.Length > 0 ? args : ["gru8", "gru32", "lstm32"];
float sum = 0f;
foreach (string name in names)
{
    sum += name switch
    {
        "rnn32" => Networks.RunRnn1To32(),
        "gru8" => Networks.RunGru1To8(),
        "gru32" => Networks.RunGru1To32(),
        "lstm32" => Networks.RunLstm1To32(),
        "gru32l2" => Networks.RunGru1To32TwoLayers(),
        _ => throw new ArgumentException($"unknown network '{name}' (rnn32, gru8, gru32, lstm32, gru32l2)"),
    };
}

Console.WriteLine($"ran {string.Join(' ', names)}: checksum {sum}");

/// <summary>One loop per network (Step takes each model's own State type).</summary>
internal static class Networks
{
    private const int Steps = 20_000;

    public static float RunRnn1To32()
    {
        var model = new Rnn1To32();
        Rnn1To32.State state = default;
        Span<float> output = stackalloc float[Rnn1To32.OutputSize];
        Span<float> input = stackalloc float[Rnn1To32.InputSize];
        float sum = 0f;
        for (int t = 0; t < Steps; t++)
        {
            input[0] = MathF.Sin(0.01f * t);
            model.Step(ref state, input, output);
            sum += output[0];
        }

        return sum;
    }

    public static float RunGru1To8()
    {
        var model = new Gru1To8();
        Gru1To8.State state = default;
        Span<float> output = stackalloc float[Gru1To8.OutputSize];
        Span<float> input = stackalloc float[Gru1To8.InputSize];
        float sum = 0f;
        for (int t = 0; t < Steps; t++)
        {
            input[0] = MathF.Sin(0.01f * t);
            model.Step(ref state, input, output);
            sum += output[0];
        }

        return sum;
    }

    public static float RunGru1To32()
    {
        var model = new Gru1To32();
        Gru1To32.State state = default;
        Span<float> output = stackalloc float[Gru1To32.OutputSize];
        Span<float> input = stackalloc float[Gru1To32.InputSize];
        float sum = 0f;
        for (int t = 0; t < Steps; t++)
        {
            input[0] = MathF.Sin(0.01f * t);
            model.Step(ref state, input, output);
            sum += output[0];
        }

        return sum;
    }

    public static float RunLstm1To32()
    {
        var model = new Lstm1To32();
        Lstm1To32.State state = default;
        Span<float> output = stackalloc float[Lstm1To32.OutputSize];
        Span<float> input = stackalloc float[Lstm1To32.InputSize];
        float sum = 0f;
        for (int t = 0; t < Steps; t++)
        {
            input[0] = MathF.Sin(0.01f * t);
            model.Step(ref state, input, output);
            sum += output[0];
        }

        return sum;
    }

    public static float RunGru1To32TwoLayers()
    {
        var model = new Gru1To32TwoLayers();
        Gru1To32TwoLayers.State state = default;
        Span<float> output = stackalloc float[Gru1To32TwoLayers.OutputSize];
        Span<float> input = stackalloc float[Gru1To32TwoLayers.InputSize];
        float sum = 0f;
        for (int t = 0; t < Steps; t++)
        {
            input[0] = MathF.Sin(0.01f * t);
            model.Step(ref state, input, output);
            sum += output[0];
        }

        return sum;
    }
}

[Recurrent(1, 32, OutputSize = 1, Window = 32)]
internal sealed partial class Rnn1To32;

[Recurrent(1, 8, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
internal sealed partial class Gru1To8;

[Recurrent(1, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
internal sealed partial class Gru1To32;

[Recurrent(1, 32, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
internal sealed partial class Lstm1To32;

[Recurrent(1, 32, Cell = Cell.Gru, NumLayers = 2, OutputSize = 1, Window = 32)]
internal sealed partial class Gru1To32TwoLayers;
