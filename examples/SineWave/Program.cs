using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Fixed;

// The seed's task, as in D2L section 9.1 ("Sequence models"): x_t = sin(0.01 t) + noise, t = 1..1000.
// Sample i: the tau = 4 values x[i..i+3] as a 4-step sequence of one feature; its label is x[i+4].
// The data, the epoch orders and the initial weights are the files scripts/sine_pytorch.py trained PyTorch from.
const int Tau = 4, TrainSamples = 600, BatchSize = 16, Epochs = 10;
string here = AppContext.BaseDirectory;
SafeTensorFile data = SafeTensorFile.Read(Path.Combine(here, "sine_data.safetensors"));
float[] x = data.ReadFloats("x");                       // [1000]
float[] order = data.ReadFloats("perm");                // [10, 600]: the training samples' order in each epoch
int samples = x.Length - Tau;                           // 996: 0..599 train, 600..995 held out

var model = new RnnRegression();
model.Load(Path.Combine(here, "sine_init.safetensors"));
var optimizer = new Adam(model, lr: 0.01f);

// Training: many-to-one, batch 16 (the last batch of an epoch has 8), MSE on the last step, clip_grad_norm_(5).
var inputs = new float[BatchSize * Tau];                // [B, T = 4, I = 1], BatchFirst
var targets = new float[BatchSize];                     // [B, OutputSize = 1]
var losses = new List<float>();
int skipped = 0;
var clock = Stopwatch.StartNew();
for (int epoch = 0; epoch < Epochs; epoch++)
{
    double lossSum = 0, normSum = 0;
    int steps = 0;
    long epochStart = Stopwatch.GetTimestamp();
    for (int first = 0; first < TrainSamples; first += BatchSize)
    {
        int batch = Math.Min(BatchSize, TrainSamples - first);
        for (int b = 0; b < batch; b++)
        {
            int sample = (int)order[epoch * TrainSamples + first + b];
            x.AsSpan(sample, Tau).CopyTo(inputs.AsSpan(b * Tau, Tau));
            targets[b] = x[sample + Tau];
        }

        model.ZeroGrad();
        float loss = model.Backward(inputs.AsSpan(0, batch * Tau), targets.AsSpan(0, batch), batch, Loss.Mse, LossOn.LastStep);
        float norm = model.ClipGradNorm(5f);
        if (!float.IsFinite(norm))
        {
            skipped++;                                  // a NaN/Inf gradient would poison Adam's moments: drop the step
            continue;
        }

        optimizer.Step();
        losses.Add(loss);
        lossSum += loss;
        normSum += norm;
        steps++;
    }

    Console.WriteLine($"epoch {epoch + 1,2}: {steps} steps, mean loss {lossSum / steps:F6}, mean grad norm {normSum / steps:F4}, " +
                      $"{Stopwatch.GetElapsedTime(epochStart).TotalMilliseconds:F1} ms");
}

Console.WriteLine($"training: {clock.Elapsed.TotalMilliseconds:F0} ms in all, {skipped} optimizer steps skipped for a non-finite gradient norm");

// One step ahead: every sample's prediction from the 4 true values before it.
float[] oneStep = new float[x.Length];
float[] multiStep = new float[x.Length];
for (int i = 0; i < samples; i++)
{
    oneStep[i + Tau] = Predict(model, x.AsSpan(i, Tau));
}

// Many steps ahead (D2L): from the end of the training data on, the model is fed its own predictions.
int firstHeldOut = TrainSamples + Tau;                  // x index of the first held-out label (t = 605)
x.AsSpan(0, firstHeldOut).CopyTo(multiStep);
for (int k = firstHeldOut; k < x.Length; k++)
{
    multiStep[k] = Predict(model, multiStep.AsSpan(k - Tau, Tau));
}

Console.WriteLine();
Console.WriteLine($"held-out MSE ({x.Length - firstHeldOut} points), one step ahead:   {Mse(oneStep, x, firstHeldOut):F6}");
Console.WriteLine($"held-out MSE ({x.Length - firstHeldOut} points), multi-step ahead: {Mse(multiStep, x, firstHeldOut):F6}   (own predictions fed back)");

// PyTorch, same data, same initial weights, same order (scripts/sine_pytorch.py).
float[] pytorch = File.ReadLines(Path.Combine(here, "pytorch_losses.csv")).Skip(1)
    .Select(line => float.Parse(line.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
int perEpoch = (TrainSamples + BatchSize - 1) / BatchSize;
double oursLast = losses.TakeLast(perEpoch).Average(), theirsLast = pytorch.TakeLast(perEpoch).Average();
double largest = losses.Count == pytorch.Length ? losses.Zip(pytorch, (a, b) => Math.Abs(a - b)).Max() : double.NaN;
Console.WriteLine();
Console.WriteLine($"final-epoch mean loss: Fixed {oursLast:F6}   PyTorch {theirsLast:F6}   difference {oursLast - theirsLast:E2}");
Console.WriteLine($"largest per-step loss difference over all {pytorch.Length} steps: {largest:E2}");

Directory.CreateDirectory("out");
using (var csv = new StreamWriter("out/sine.csv"))
{
    csv.WriteLine("t,truth,one_step,multi_step");
    for (int k = Tau; k < x.Length; k++)
    {
        string multi = k >= firstHeldOut ? multiStep[k].ToString("R", CultureInfo.InvariantCulture) : "";
        csv.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k + 1},{x[k]:R},{oneStep[k]:R},{multi}"));
    }
}

Plot.Save(x, oneStep, multiStep, Tau, firstHeldOut, "out/sinewave.png");
Console.WriteLine("wrote out/sine.csv, out/sinewave.png");

// Many-to-one: run the 4 steps from the zero state, keep the last output.
static float Predict(RnnRegression model, ReadOnlySpan<float> window)
{
    var state = default(RnnRegression.State);
    Span<float> outputs = stackalloc float[Tau];
    model.Forward(ref state, window, outputs);
    return outputs[Tau - 1];
}

static double Mse(float[] predicted, float[] truth, int from)
{
    double sum = 0;
    for (int k = from; k < truth.Length; k++)
    {
        sum += (predicted[k] - truth[k]) * (predicted[k] - truth[k]);
    }

    return sum / (truth.Length - from);
}

/// <summary>The seed's model: nn.RNN(1, 32) + nn.Linear(32, 1).</summary>
[Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1)]
public partial class RnnRegression;
