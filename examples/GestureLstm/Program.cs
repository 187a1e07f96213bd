using System;
using System.Diagnostics;
using Fixed;

// Gesture recognition trained on the device: an LSTM reads 64 steps of a 3-axis accelerometer and, at the last
// step, scores four gestures. Batched BPTT with cross-entropy on the last step, AdamW, a cosine learning-rate
// schedule and gradient clipping, as one would write it in PyTorch.
const int Steps = GestureGenerator.Steps, Features = GestureGenerator.Axes;
const int BatchSize = 16, Epochs = 20;
const int SequenceLength = Steps * Features;

var generator = new GestureGenerator(seed: 5);
(float[] trainInputs, float[] trainLabels) = generator.DataSet(perClass: 500);   // 2,000 recordings
(float[] validInputs, float[] validLabels) = generator.DataSet(perClass: 100);   // 400 more, never trained on
int trainCount = trainLabels.Length;

var model = new GestureClassifier(seed: 1);
var optimizer = new AdamW(model, lr: 2e-3f, weightDecay: 1e-2f);
var schedule = new CosineAnnealing(2e-3f, tMax: Epochs, minimum: 1e-4f);

int[] order = new int[trainCount];
for (int i = 0; i < trainCount; i++)
{
    order[i] = i;
}

var shuffle = new Random(2);
float[] batchInputs = new float[BatchSize * SequenceLength];     // [B, T, 3], BatchFirst
float[] batchLabels = new float[BatchSize];                       // [B]: one class index per sequence
var history = new TrainingHistory(Epochs);
int skipped = 0;
var clock = Stopwatch.StartNew();
Console.WriteLine("epoch   lr        loss     train acc   valid acc    time");
for (int epoch = 0; epoch < Epochs; epoch++)
{
    optimizer.LearningRate = schedule.At(epoch);
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
        float loss = model.Backward(batchInputs.AsSpan(0, batch * SequenceLength), batchLabels.AsSpan(0, batch), batch,
                                    Loss.CrossEntropy, LossOn.LastStep);
        if (!float.IsFinite(model.ClipGradNorm(1f)))
        {
            skipped++;                                    // a NaN/Inf gradient would poison AdamW's moments
            continue;
        }

        optimizer.Step();
        lossSum += loss;
        batches++;
    }

    double seconds = Stopwatch.GetElapsedTime(epochStart).TotalSeconds;
    double trainAccuracy = Evaluation.Accuracy(model, trainInputs, trainLabels);
    double validAccuracy = Evaluation.Accuracy(model, validInputs, validLabels);
    history.Add(lossSum / batches, trainAccuracy, validAccuracy);
    Console.WriteLine($"{epoch + 1,5}   {optimizer.LearningRate:E1}  {lossSum / batches,7:F4}   {trainAccuracy,8:P1}   {validAccuracy,8:P1}   {seconds * 1000,6:F0} ms");
}

Console.WriteLine($"training: {clock.Elapsed.TotalSeconds:F1} s for {Epochs} epochs of {trainCount:N0} sequences " +
                  $"(evaluation included), {skipped} steps skipped for a non-finite gradient norm");
Console.WriteLine();
Evaluation.PrintConfusion(model, validInputs, validLabels);
Console.WriteLine();
Console.WriteLine($"inference: {Evaluation.NanosecondsPerSequence(model, validInputs):N0} ns per 64-step sequence " +
                  "(median of 5 runs over the validation set, one thread)");

history.Plot("out/gesturelstm.png");
Console.WriteLine("wrote out/gesturelstm.png");

/// <summary>nn.LSTM(3, 32) + nn.Linear(32, 4): four logits at every step; BPTT over up to 64 steps.</summary>
[Recurrent(3, 32, Cell = Cell.Lstm, OutputSize = 4, Window = 64)]
public partial class GestureClassifier;
