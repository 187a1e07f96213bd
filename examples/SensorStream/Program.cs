using System;
using System.Diagnostics;
using Fixed;

// Online learning on a live stream. A 1 kHz sensor feeds a GRU one sample at a time; the GRU predicts the next
// sample. Every Window = 32 samples, one truncated-BPTT update on that window, from the state the live stream
// had when the window began. Inference and training share one model and never allocate.
// The GRU's output is the change to the next sample (a residual forecast): before it has learnt anything it
// is the naive "next = last" forecast, and the sensor's drifting baseline does not move its target.
const int Samples = 200_000, WarmUpSamples = 64, Window = SensorPredictor.Window;
const int Streamed = Samples - WarmUpSamples, Updates = Streamed / Window;

var sensor = new SimulatedSensor(seed: 11);
var model = new SensorPredictor(seed: 3);
var optimizer = new Adam(model, lr: 2e-3f);

// Everything the loop needs is allocated here, before it starts.
float[] windowInputs = new float[Window], windowTargets = new float[Window];
float[] modelError = new float[Streamed], lastValueError = new float[Streamed];
long[] stepTicks = new long[Streamed], updateTicks = new long[Updates];
Span<float> input = stackalloc float[1], prediction = stackalloc float[1];

// Warm-up: the first samples only advance the state.
var live = default(SensorPredictor.State);
Span<float> first = stackalloc float[WarmUpSamples];
for (int i = 0; i < WarmUpSamples; i++)
{
    first[i] = sensor.Next();
}

model.WarmUp(ref live, first);

float previous = first[^1];
prediction[0] = 0f;
var windowStart = live;
int filled = 0, updates = 0, skipped = 0;
int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
long allocatedAtStart = GC.GetAllocatedBytesForCurrentThread(), allocatedAfterFirstUpdate = 0;
var clock = Stopwatch.StartNew();
for (int n = 0; n < Streamed; n++)
{
    float sample = sensor.Next();
    modelError[n] = previous + prediction[0] - sample;
    lastValueError[n] = previous - sample;              // the naive forecast: "the next value is the last one"

    // The pair (previous -> change to sample) completes one more step of the training window.
    windowInputs[filled] = previous;
    windowTargets[filled] = sample - previous;
    if (++filled == Window)
    {
        long start = Stopwatch.GetTimestamp();
        var trainState = windowStart;
        model.Backward(ref trainState, windowInputs, windowTargets, Loss.Mse, LossOn.AllSteps);
        if (float.IsFinite(model.ClipGradNorm(1f)))
        {
            optimizer.Step();
        }
        else
        {
            skipped++;                                  // never let a NaN/Inf gradient reach Adam's moments
        }

        model.ZeroGrad();
        updateTicks[updates++] = Stopwatch.GetTimestamp() - start;
        if (updates == 1)
        {
            allocatedAfterFirstUpdate = GC.GetAllocatedBytesForCurrentThread();
        }

        filled = 0;
    }

    if (filled == 0)
    {
        windowStart = live;                             // this sample is the first input of the next window
    }

    input[0] = sample;
    long before = Stopwatch.GetTimestamp();
    model.Step(ref live, input, prediction);
    stepTicks[n] = Stopwatch.GetTimestamp() - before;
    previous = sample;
}

clock.Stop();
long allocatedAfter = GC.GetAllocatedBytesForCurrentThread();
int gen0Runs = GC.CollectionCount(0) - gen0, gen1Runs = GC.CollectionCount(1) - gen1, gen2Runs = GC.CollectionCount(2) - gen2;

Console.WriteLine($"{Samples:N0} samples ({Samples / SimulatedSensor.SampleRate:F0} s of a 1 kHz sensor) in {clock.Elapsed.TotalMilliseconds:F0} ms: " +
                  $"{WarmUpSamples} warm-up, {Streamed:N0} streamed, {updates:N0} updates of {Window} steps, {skipped} skipped for a non-finite gradient");
Console.WriteLine();
Console.WriteLine("latency                          median        p99        max");
Report.Latency("inference, one Step", stepTicks);
Report.Latency("training update (BPTT + Adam)", updateTicks.AsSpan(0, updates));
Console.WriteLine();
Console.WriteLine("prediction RMSE over time    model    last value   (noise floor " + SimulatedSensor.NoiseStd + ")");
Report.ErrorOverTime(modelError, lastValueError, blocks: 10, SimulatedSensor.SampleRate);
Console.WriteLine();
Console.WriteLine($"GC collections during the run: gen0 {gen0Runs}, gen1 {gen1Runs}, gen2 {gen2Runs}");
Console.WriteLine($"bytes allocated: {allocatedAfter - allocatedAfterFirstUpdate} after the first update; " +
                  $"{allocatedAfterFirstUpdate - allocatedAtStart} before it (first calls: one-time setup)");

Report.Plot(modelError, lastValueError, SimulatedSensor.SampleRate, SimulatedSensor.NoiseStd, "out/sensorstream.png");
Console.WriteLine("wrote out/sensorstream.png");

/// <summary>A GRU with 32 hidden units and a linear head: nn.GRU(1, 32) + nn.Linear(32, 1); BPTT over at most 32 steps.</summary>
[Recurrent(1, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public partial class SensorPredictor;
