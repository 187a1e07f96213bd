using System;
using System.Diagnostics;
using System.IO;
using Fixed;

// Weights trained by PyTorch (scripts/train_quickstart.py): predict the next clean value of a noisy sine.
var model = new RnnRegression();
model.Load(Path.Combine(AppContext.BaseDirectory, "rnn_regression.safetensors"));

// The stream: x_t = sin(0.01 t) + N(0, 0.2); the target is the clean next value sin(0.01 (t + 1)).
const int Samples = 2_000;
var noise = new Gaussian(seed: 7);
float[] noisy = new float[Samples], truth = new float[Samples], predicted = new float[Samples];
for (int t = 0; t < Samples; t++)
{
    noisy[t] = MathF.Sin(0.01f * t) + 0.2f * noise.Next();
    truth[t] = MathF.Sin(0.01f * (t + 1));
}

// Stream it: one sample in, one prediction out, the recurrent state carried along on the stack.
var state = default(RnnRegression.State);             // h0 = 0
long before = GC.GetAllocatedBytesForCurrentThread(), afterFirstStep = 0;
for (int t = 0; t < Samples; t++)
{
    model.Step(ref state, noisy.AsSpan(t, 1), predicted.AsSpan(t, 1));
    if (t == 0)
    {
        afterFirstStep = GC.GetAllocatedBytesForCurrentThread();   // the first call may set up once
    }
}

long firstStepBytes = afterFirstStep - before;
long streamingBytes = GC.GetAllocatedBytesForCurrentThread() - afterFirstStep;

Console.WriteLine("     t    noisy input   prediction   truth (next clean value)");
for (int t = 0; t < Samples; t += 200)
{
    Console.WriteLine($"{t,6} {noisy[t],12:F4} {predicted[t],12:F4} {truth[t],12:F4}");
}

Console.WriteLine();
Console.WriteLine($"RMSE of the prediction vs truth:  {Rmse(predicted, truth):F4}");
Console.WriteLine($"RMSE of the noisy input vs truth: {Rmse(noisy, truth):F4}");
Console.WriteLine($"bytes allocated by steps 2..{Samples:N0}: {streamingBytes} (by the first step, one-time setup: {firstStepBytes})");
Console.WriteLine($"time per Step (median of 5 runs of 1,000,000 steps): {NanosecondsPerStep(model):F1} ns");

Plot.Save(noisy, predicted, truth, "out/quickstart.png");
Console.WriteLine($"wrote {Path.GetFullPath("out/quickstart.png")}");

static float Rmse(float[] a, float[] b)
{
    double sum = 0;
    for (int i = 0; i < a.Length; i++)
    {
        sum += (a[i] - b[i]) * (a[i] - b[i]);
    }

    return (float)Math.Sqrt(sum / a.Length);
}

static double NanosecondsPerStep(RnnRegression model)
{
    const int Steps = 1_000_000;
    Span<float> input = [0.5f];
    Span<float> output = [0f];
    var state = default(RnnRegression.State);
    double[] runs = new double[5];
    for (int i = 0; i < Steps; i++)
    {
        model.Step(ref state, input, output);     // warm-up: let the JIT settle on its optimised code
    }

    for (int run = 0; run < runs.Length; run++)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Steps; i++)
        {
            model.Step(ref state, input, output);
        }

        runs[run] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / Steps;
    }

    Array.Sort(runs);
    return runs[runs.Length / 2];
}

/// <summary>The seed's model: nn.RNN(1, 32) + nn.Linear(32, 1), generated at compile time.</summary>
[Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1)]
public partial class RnnRegression;
