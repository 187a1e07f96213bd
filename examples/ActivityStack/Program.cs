using System;
using System.Collections.Generic;
using System.Diagnostics;
using Fixed;

// Activity and fall recognition trained on the device: a layer stack of two GRUs and an MLP head reads 64 samples
// (1.28 s) of a phone's 3-axis accelerometer and, at the last step, scores still / walking / running / falling.
// Batched BPTT with cross-entropy on the last step, gradient clipping and Adam, as one would write it in PyTorch;
// then the trained model streams a recording sample by sample, allocation-free, and survives a save and load.
const int Steps = ActivityGenerator.Steps, Features = ActivityGenerator.Axes, Classes = Evaluation.Classes;
const int SequenceLength = Evaluation.SequenceLength;
const int BatchSize = 16, Epochs = 12;

Console.WriteLine($"ActivityClassifier: {ActivityClassifier.ParameterCount:N0} parameters, {ActivityClassifier.NumLayers} recurrent layers, " +
                  $"{ActivityClassifier.StateLength} floats of state; state_dict:");
foreach (ParameterInfo tensor in ActivityClassifier.Layout)
{
    Console.WriteLine($"  {tensor.Name,-16} [{string.Join(", ", tensor.Shape)}]");
}

var generator = new ActivityGenerator(seed: 7);
(float[] trainInputs, float[] trainLabels) = generator.DataSet(perClass: 400);   // 1,600 recordings
(float[] testInputs, float[] testLabels) = generator.DataSet(perClass: 100);     // 400 more, never trained on
int trainCount = trainLabels.Length;

var model = new ActivityClassifier(seed: 1);
var optimizer = new Adam(model, lr: 3e-3f);

int[] order = new int[trainCount];
for (int i = 0; i < trainCount; i++)
{
    order[i] = i;
}

var shuffle = new Random(2);
float[] batchInputs = new float[BatchSize * SequenceLength];     // [B, T, 3], BatchFirst
float[] batchLabels = new float[BatchSize];                       // [B]: one class index per recording
List<double> lossHistory = [], trainHistory = [], testHistory = [];
var clock = Stopwatch.StartNew();
Console.WriteLine();
Console.WriteLine("epoch    loss     train acc   test acc    time");
for (int epoch = 0; epoch < Epochs; epoch++)
{
    shuffle.Shuffle(order);
    double lossSum = 0;
    int batches = 0;
    long epochStart = Stopwatch.GetTimestamp();
    for (int first = 0; first < trainCount; first += BatchSize)
    {
        int batch = Math.Min(BatchSize, trainCount - first);
        for (int b = 0; b < batch; b++)
        {
            int sample = order[first + b];
            trainInputs.AsSpan(sample * SequenceLength, SequenceLength).CopyTo(batchInputs.AsSpan(b * SequenceLength));
            batchLabels[b] = trainLabels[sample];
        }

        model.ZeroGrad();
        lossSum += model.Backward(batchInputs.AsSpan(0, batch * SequenceLength), batchLabels.AsSpan(0, batch), batch,
                                  Loss.CrossEntropy, LossOn.LastStep);
        model.ClipGradNorm(1f);
        optimizer.Step();
        batches++;
    }

    double milliseconds = Stopwatch.GetElapsedTime(epochStart).TotalMilliseconds;
    double trainAccuracy = Evaluation.Accuracy(model, trainInputs, trainLabels);
    double testAccuracy = Evaluation.Accuracy(model, testInputs, testLabels);
    lossHistory.Add(lossSum / batches);
    trainHistory.Add(trainAccuracy);
    testHistory.Add(testAccuracy);
    Console.WriteLine($"{epoch + 1,5}   {lossSum / batches,7:F4}   {trainAccuracy,8:P1}   {testAccuracy,8:P1}   {milliseconds,6:F0} ms");
}

Console.WriteLine($"training: {clock.Elapsed.TotalSeconds:F1} s for {Epochs} epochs of {trainCount:N0} recordings (evaluation included)");
Console.WriteLine();
Evaluation.PrintConfusion(model, testInputs, testLabels);

// Save as safetensors (the state_dict above, which PyTorch loads into the same nn.Module) and load into a fresh model.
const string WeightsPath = "out/activity_stack.safetensors";
System.IO.Directory.CreateDirectory("out");
model.Save(WeightsPath);
var restored = new ActivityClassifier(seed: 42);     // different initial weights, all replaced by Load
restored.Load(WeightsPath);
int identical = 0;
Span<float> before = stackalloc float[Classes], after = stackalloc float[Classes];
for (int i = 0; i < testLabels.Length; i++)
{
    ReadOnlySpan<float> recording = testInputs.AsSpan(i * SequenceLength, SequenceLength);
    Evaluation.LastLogits(model, recording, before);
    Evaluation.LastLogits(restored, recording, after);
    identical += before.SequenceEqual(after) ? 1 : 0;
}

Console.WriteLine();
Console.WriteLine($"saved {WeightsPath} and loaded it into a fresh model: logits bit-identical on {identical} of {testLabels.Length} test recordings");

// Stream one new recording of a fall sample by sample, as it would arrive from the sensor: one Step per sample.
// The training scored only the answer after the 64th sample, so the earlier outputs are whatever the network says
// about a part of a window; the plot shows how the answer forms.
float[] fall = new float[SequenceLength];
int impact = new ActivityGenerator(seed: 2024).Record(Activity.Falling, fall);
float[,] probabilities = new float[Steps, Classes];
var state = default(ActivityClassifier.State);       // h0 = 0 for both GRUs, on the stack
Span<float> logits = stackalloc float[Classes], p = stackalloc float[Classes];
for (int t = 0; t < Steps; t++)
{
    restored.Step(ref state, fall.AsSpan(t * Features, Features), logits);
    Evaluation.Softmax(logits, p);
    for (int c = 0; c < Classes; c++)
    {
        probabilities[t, c] = p[c];
    }
}

int detected = -1;                                     // the first sample from which P(Falling) stays above 0.5
for (int t = Steps - 1; t >= 0 && probabilities[t, (int)Activity.Falling] > 0.5f; t--)
{
    detected = t;
}

Console.WriteLine($"streamed a new fall (impact at sample {impact}, {impact / ActivityGenerator.SampleRate:F2} s): " +
                  (detected >= 0 ? $"P(Falling) > 0.5 from sample {detected} ({(detected - impact) / ActivityGenerator.SampleRate * 1000:F0} ms after the impact), " : "never called a fall, ") +
                  $"{probabilities[Steps - 1, (int)Activity.Falling]:F3} at the last sample; " +
                  $"|h| of enc and dec at the end: {Norm(state.Hidden(0)):F2}, {Norm(state.Hidden(1)):F2}");

// The zero-allocation claim and the time per step: stream every test recording, sample by sample, many times over.
const int Runs = 5, PassesPerRun = 4;
int streamed = StreamAll(restored, testInputs, testLabels, passes: 1);          // warms up the JIT
double[] nanoseconds = new double[Runs];
long stepsPerRun = (long)PassesPerRun * testLabels.Length * Steps;
long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
int gcsBefore = GC.CollectionCount(0);
for (int run = 0; run < Runs; run++)
{
    long start = Stopwatch.GetTimestamp();
    streamed = StreamAll(restored, testInputs, testLabels, PassesPerRun);
    nanoseconds[run] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / stepsPerRun;
}

long bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
int gcs = GC.CollectionCount(0) - gcsBefore;
Array.Sort(nanoseconds);
Console.WriteLine($"streaming: {Runs * stepsPerRun:N0} Steps, {bytes} bytes allocated, {gcs} GCs; {nanoseconds[Runs / 2]:F0} ns per Step " +
                  $"(median of {Runs} runs, one thread); {streamed} of {testLabels.Length} test recordings right at their last sample");

Plots.Training(lossHistory, trainHistory, testHistory, "out/training.png");
Plots.Stream(fall, probabilities, impact, "A new fall streamed through the trained stack (trained to answer at the last of 64 samples)", "out/stream.png");
Console.WriteLine("wrote out/training.png and out/stream.png");

// Every test recording from the zero state, one Step per sample; returns how many are classified right at the end.
static int StreamAll(ActivityClassifier model, float[] inputs, float[] labels, int passes)
{
    int correct = 0;
    Span<float> logits = stackalloc float[Classes];
    for (int pass = 0; pass < passes; pass++)
    {
        correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var state = default(ActivityClassifier.State);
            ReadOnlySpan<float> recording = inputs.AsSpan(i * SequenceLength, SequenceLength);
            for (int t = 0; t < Steps; t++)
            {
                model.Step(ref state, recording.Slice(t * Features, Features), logits);
            }

            correct += Evaluation.ArgMax(logits) == (int)labels[i] ? 1 : 0;
        }
    }

    return correct;
}

static float Norm(ReadOnlySpan<float> values)
{
    float sum = 0;
    foreach (float v in values)
    {
        sum += v * v;
    }

    return MathF.Sqrt(sum);
}

/// <summary>nn.GRU(3, 24) → nn.GRU(24, 12) → nn.Linear(12, 16) → nn.ReLU() → nn.Linear(16, 4): four logits at every step.</summary>
[Recurrent(3, 24, Cell = Cell.Gru, Name = "enc")]
[Recurrent(24, 12, Cell = Cell.Gru, Name = "dec")]
[Linear(12, 16, Name = "fc1")]
[Relu]
[Linear(16, 4, Name = "fc2")]
public partial class ActivityClassifier;
