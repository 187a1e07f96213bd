using System;
using System.Diagnostics;
using Fixed;

// A fixed input sequence through three networks, each output printed as the hex of its float bits: two builds of this
// program (NativeAOT and JIT) on one machine and instruction set must print the same lines. Timing lines start with
// "timing:" and are left out of that comparison.
// "first-step": the cold-start measurement (scripts/bench/cold-start.sh). Only what a deployed streaming process does
// before its first result: construct the model (weights compiled in), one Step, print the output. Nothing else runs
// first, so the time from exec to this line is the process's cold start.
// "no-model": the same process printing a line without touching Fixed, the runtime's own start-up cost beside it.
if (args is ["no-model"])
{
    Console.WriteLine("no-model");
    return 0;
}

if (args is ["first-step"])
{
    var model = new SineRnn();
    var state = default(SineRnn.State);
    Span<float> output = stackalloc float[SineRnn.OutputSize];
    model.Step(ref state, [0.5f], output);
    Console.WriteLine("first-step " + Hex(output[0]));
    return 0;
}

const int Steps = 64;
float[] inputs = Inputs(Steps * 3, seed: 12345);

// The QuickStart's PyTorch-trained sine model, weights compiled in: nothing is read from disk.
var rnn = new SineRnn();
Print("rnn", Run(rnn, inputs.AsSpan(0, Steps * SineRnn.InputSize)));

// A stacked GRU and an LSTM with a head, from the seeded initialisation, through every cell's kernels.
Print("gru", Run(new StackedGru(seed: 1), inputs));
float[] logits = Run(new ImuLstm(seed: 2), inputs);
Print("lstm", logits);

// The classification helpers (System.Numerics.Tensors' kernels underneath) after trimming and under NativeAOT.
var probabilities = new float[logits.Length];
Classification.Softmax(logits, probabilities, ImuLstm.OutputSize);
Print("softmax", probabilities);
var predicted = new int[logits.Length / ImuLstm.OutputSize];
Classification.ArgMax(logits, ImuLstm.OutputSize, predicted);
Console.WriteLine("argmax " + string.Join(",", predicted));

// Ten Adam steps of BPTT on the GRU: the training path, bit for bit too.
var gru = new StackedGru(seed: 3);
var adam = new Adam(gru, lr: 1e-2f);
float[] targets = Inputs(Steps * StackedGru.OutputSize, seed: 777);
float loss = 0;
for (int i = 0; i < 10; i++)
{
    gru.ZeroGrad();
    var state = default(StackedGru.State);
    loss = gru.Backward(ref state, inputs, targets);
    gru.ClipGradNorm(1f);
    adam.Step();
}

Console.WriteLine($"train loss {Hex(loss)} parameters {Checksum(gru.Parameters):X16}");

// A layer stack (Linear front-end, two recurrent layers, an MLP head): inference, then ten Adam steps of its BPTT.
Print("stack", Run(new AotStack(seed: 4), inputs));
var stack = new AotStack(seed: 5);
var stackAdam = new Adam(stack, lr: 1e-2f);
float[] stackTargets = Inputs(Steps * AotStack.OutputSize, seed: 778);
for (int i = 0; i < 10; i++)
{
    stack.ZeroGrad();
    var state = default(AotStack.State);
    loss = stack.Backward(ref state, inputs, stackTargets, Loss.Huber);
    stack.ClipGradNorm(1f);
    stackAdam.Step();
}

Console.WriteLine($"train stack loss {Hex(loss)} parameters {Checksum(stack.Parameters):X16}");

// Under NativeAOT nothing is compiled at run time, so the JIT has compiled no method.
string runtime = System.Runtime.JitInfo.GetCompiledMethodCount() == 0 ? "NativeAOT" : "JIT";
Console.WriteLine($"timing: {runtime} SineRnn.Step {NanosecondsPerStep(rnn):F2} ns/step (best of 7 runs of 1,000,000 steps)");
return 0;

// Step by step and with Forward from the zero state: the two must agree exactly; returns Step's outputs.
static float[] Run<TModel>(TModel model, ReadOnlySpan<float> inputs)
    where TModel : IRecurrentModel<TModel>
{
    int steps = inputs.Length / TModel.InputSize;
    float[] stepped = new float[steps * TModel.OutputSize];
    float[] forwarded = new float[stepped.Length];
    Span<float> state = stackalloc float[TModel.StateLength];
    for (int t = 0; t < steps; t++)
    {
        model.Step(state, inputs.Slice(t * TModel.InputSize, TModel.InputSize), stepped.AsSpan(t * TModel.OutputSize, TModel.OutputSize));
    }

    state.Clear();
    model.Forward(state, inputs, forwarded);
    if (!stepped.AsSpan().SequenceEqual(forwarded))
    {
        throw new InvalidOperationException(typeof(TModel).Name + ": Step and Forward disagree.");
    }

    return stepped;
}

static void Print(string name, float[] outputs)
{
    Console.WriteLine($"{name} {outputs.Length} outputs, checksum {Checksum(outputs):X16}");
    for (int i = 0; i < outputs.Length; i += 8)
    {
        var line = new System.Text.StringBuilder(name).Append(' ').Append(i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture));
        for (int j = i; j < Math.Min(i + 8, outputs.Length); j++)
        {
            line.Append(' ').Append(Hex(outputs[j]));
        }

        Console.WriteLine(line);
    }
}

static string Hex(float value) => BitConverter.SingleToUInt32Bits(value).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);

// FNV-1a over the float bits.
static ulong Checksum(ReadOnlySpan<float> values)
{
    ulong hash = 14695981039346656037;
    foreach (float value in values)
    {
        hash = (hash ^ BitConverter.SingleToUInt32Bits(value)) * 1099511628211;
    }

    return hash;
}

// Inputs in [-1, 1) from integer arithmetic only, so that both builds see the same bits (no libm).
static float[] Inputs(int count, uint seed)
{
    float[] values = new float[count];
    uint x = seed;
    for (int i = 0; i < count; i++)
    {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        values[i] = (x >> 8) * (2f / (1 << 24)) - 1f;
    }

    return values;
}

static double NanosecondsPerStep(SineRnn model)
{
    const int N = 1_000_000;
    var state = default(SineRnn.State);
    Span<float> input = stackalloc float[1];
    Span<float> output = stackalloc float[1];
    double best = double.MaxValue;
    for (int run = 0; run < 7; run++)
    {
        long start = Stopwatch.GetTimestamp();
        for (int t = 0; t < N; t++)
        {
            input[0] = output[0];
            model.Step(ref state, input, output);
        }

        best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalNanoseconds / N);
    }

    return best;
}

/// <summary>nn.RNN(1, 32) + nn.Linear(32, 1), trained in PyTorch on a noisy sine; weights compiled in.</summary>
[Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1, Weights = "rnn_regression.safetensors")]
public partial class SineRnn;

/// <summary>nn.GRU(3, 48, num_layers=2) + nn.Linear(48, 2).</summary>
[Recurrent(3, 48, Cell = Cell.Gru, NumLayers = 2, OutputSize = 2, Window = 64)]
public partial class StackedGru;

/// <summary>nn.Linear(3, 6), nn.Tanh(), nn.GRU(6, 16), nn.LSTM(16, 8), nn.Linear(8, 12), nn.GELU(), nn.Linear(12, 2).</summary>
[Linear(3, 6, Name = "pre")]
[Tanh]
[Recurrent(6, 16, Cell = Cell.Gru, Name = "enc")]
[Recurrent(16, 8, Cell = Cell.Lstm, Name = "dec")]
[Linear(8, 12, Name = "fc1")]
[Gelu]
[Linear(12, 2, Name = "fc2")]
public partial class AotStack;

/// <summary>nn.LSTM(3, 64) + nn.Linear(64, 4).</summary>
[Recurrent(3, 64, Cell = Cell.Lstm, OutputSize = 4)]
public partial class ImuLstm;
