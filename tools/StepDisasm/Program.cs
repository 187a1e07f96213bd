// Calls Step(ref State, input, output) of each network named on the command line so that DOTNET_JitDisasm="Step" prints the
// code that runs. Two ways, both read by scripts/ci/check_step_disasm.sh:
//   StepDisasm NET...            one loop of 20,000 steps per network, for a run with DOTNET_TieredCompilation=0 (every
//                                method compiled once, fully optimized);
//   StepDisasm --tiered NET...   the loops again and again until the JIT has compiled nothing for 300 ms (JitWarmUp,
//                                linked from Benchmarks/Timing), for a run with the default tiering: the engine's Step is then compiled at tier 1 with dynamic
//                                PGO, the code a user's loop runs after its first thousands of steps.
//   StepDisasm --training NET... a training iteration as the benchmark's (one sequence of 32 steps, then a batch of 32
//                                such sequences; each Backward, ClipGradNorm, Adam, ZeroGrad) until the JIT is quiet, for
//                                scripts/ci/check_training_disasm.sh, which runs it fully optimized at once.
// The networks are the benchmark's (Benchmarks/Models): input 1, a Linear(H, 1) head.
using System;
using Fixed;
using Fixed.Benchmarks.Timing;

bool training = args.Length > 0 && args[0] == "--training";
bool tiered = training || (args.Length > 0 && args[0] == "--tiered");
string[] names = tiered ? args[1..] : args;
names = names.Length > 0 ? names : training ? ["rnn32", "gru32", "lstm32", "lstm32p16"] : ["gru8", "gru32", "lstm32"];
float sum = 0f;
if (training)
{
    JitWarmUp.UntilQuiet(TrainAll);
}
else if (tiered)
{
    JitWarmUp.UntilQuiet(RunAll);
}
else
{
    RunAll();
}

Console.WriteLine($"ran {string.Join(' ', names)}: checksum {sum}");

void RunAll()
{
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
}

void TrainAll()
{
    foreach (string name in names)
    {
        sum += name switch
        {
            "rnn32" => Training.Iterations<Rnn1To32>(),
            "gru32" => Training.Iterations<Gru1To32>(),
            "lstm32" => Training.Iterations<Lstm1To32>(),
            "lstm32p16" => Training.Iterations<Lstm1To32Proj16>(),
            _ => throw new ArgumentException($"unknown network '{name}' for --training (rnn32, gru32, lstm32, lstm32p16)"),
        };
    }
}

/// <summary>The benchmark's training iterations (<c>timed</c>'s <c>training</c> and <c>training-batch32</c>), a few of each.</summary>
internal static class Training
{
    private const int Window = 32;
    private const int Batch = 32;
    private const int Rounds = 20;

    public static float Iterations<TModel>()
        where TModel : class, IRecurrentModel<TModel>
    {
        TModel model = TModel.Create(7);
        var adam = new Adam(model, 1e-3f);
        float[] state = new float[TModel.StateLength];
        float[] inputs = new float[Batch * Window];
        float[] targets = new float[Batch * Window];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = MathF.Sin(0.01f * i);
            targets[i] = MathF.Sin(0.01f * (i + 1));
        }

        float loss = 0f;
        for (int round = 0; round < Rounds; round++)
        {
            Array.Clear(state);
            loss += model.Backward(state, inputs.AsSpan(0, Window), targets.AsSpan(0, Window), Loss.Mse, LossOn.AllSteps);
            model.ClipGradNorm(1f);
            adam.Step();
            model.ZeroGrad();
            loss += model.Backward(inputs, targets, Batch, Loss.Mse, LossOn.AllSteps);
            model.ClipGradNorm(1f);
            adam.Step();
            model.ZeroGrad();
        }

        return loss;
    }
}

/// <summary>
/// One loop per network (Step takes each model's own State type). The buffers are arrays, not stackalloc: a method with a
/// loop and a stackalloc is compiled fully optimized at once and never again, and these loops are to be compiled the way a
/// user's usually is, tier 0, then on-stack replacement, then tier 1 with dynamic PGO, which inlines the model's Step.
/// </summary>
internal static class Networks
{
    private const int Steps = 20_000;

    // Created outside the loops, so that the loops' listings hold no constructor (its weight initialisation makes calls).
    private static readonly Rnn1To32 Rnn1To32Model = new();
    private static readonly Gru1To8 Gru1To8Model = new();
    private static readonly Gru1To32 Gru1To32Model = new();
    private static readonly Lstm1To32 Lstm1To32Model = new();
    private static readonly Gru1To32TwoLayers Gru1To32TwoLayersModel = new();

    public static float RunRnn1To32()
    {
        Rnn1To32 model = Rnn1To32Model;
        Rnn1To32.State state = default;
        float[] output = new float[Rnn1To32.OutputSize];
        float[] input = new float[Rnn1To32.InputSize];
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
        Gru1To8 model = Gru1To8Model;
        Gru1To8.State state = default;
        float[] output = new float[Gru1To8.OutputSize];
        float[] input = new float[Gru1To8.InputSize];
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
        Gru1To32 model = Gru1To32Model;
        Gru1To32.State state = default;
        float[] output = new float[Gru1To32.OutputSize];
        float[] input = new float[Gru1To32.InputSize];
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
        Lstm1To32 model = Lstm1To32Model;
        Lstm1To32.State state = default;
        float[] output = new float[Lstm1To32.OutputSize];
        float[] input = new float[Lstm1To32.InputSize];
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
        Gru1To32TwoLayers model = Gru1To32TwoLayersModel;
        Gru1To32TwoLayers.State state = default;
        float[] output = new float[Gru1To32TwoLayers.OutputSize];
        float[] input = new float[Gru1To32TwoLayers.InputSize];
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

// ProjSize takes the sequence engine (Runtime/Kernels/SequenceEngine.cs), read by the training check only.
[Recurrent(1, 32, Cell = Cell.Lstm, ProjSize = 16, OutputSize = 1, Window = 32)]
internal sealed partial class Lstm1To32Proj16;
