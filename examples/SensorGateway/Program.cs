using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Fixed;

// A sensor gateway: hundreds of sensors, one small GRU. The GRU learns in-process what normal readings look like
// (it predicts each reading's next change), then serves every sensor at once: one multi-stream Step per frame
// advances all N sensors, each with its own State. A sensor's anomaly score is its recent squared prediction error
// against its own normal level; faults injected into a tenth of the sensors should push their score over the alarm
// threshold while the healthy ones stay below it.
//
// With --threads 2 the sensors are sharded: one model, each thread its own half of the states, inputs and outputs,
// the main thread handing each frame to the helper and waiting for its half (FrameGate, below).
//
//   dotnet run -c Release --project examples/SensorGateway [-- --quick] [--sensors 512] [--frames 4000] [--threads 2]
bool quick = args.Contains("--quick");
int threads = Option("--threads", 1);
int sensors = Option("--sensors", 512);
int frames = Option("--frames", quick ? 1000 : 4000);
int iterations = Option("--iterations", quick ? 300 : 1500);
const int Batch = 32, Window = SensorModel.Window, Warm = 8, SettleFrames = 50;
const float Smoothing = 0.1f, AlarmThreshold = 8f;

// 1. Train on healthy sensors (a fleet of its own, never served): windows of 32 frames from the zero state, the first
// 8 steps only warming the state, loss on every later step's predicted change.
var model = new SensorModel(seed: 7);
var optimizer = new Adam(model, lr: 3e-3f);
var training = new SensorFleet(Batch, frames: 1 << 20, seed: 1, faults: false);
float[] inputs = new float[Batch * Window], targets = new float[Batch * (Window - Warm)], frame = new float[Batch];
float[] next = new float[Batch];
var clock = Stopwatch.StartNew();
float loss = 0;
for (int it = 0; it < iterations; it++)
{
    int start = it * (Window + 1);
    training.Read(start, frame);
    for (int t = 0; t < Window; t++)
    {
        training.Read(start + t + 1, next);
        for (int b = 0; b < Batch; b++)
        {
            inputs[(b * Window) + t] = frame[b];
            if (t >= Warm)
            {
                targets[(b * (Window - Warm)) + t - Warm] = next[b] - frame[b];
            }
        }

        next.CopyTo(frame, 0);
    }

    loss = model.Backward(inputs, targets, Batch, Loss.Mse, LossOn.AllSteps, warmUp: Warm);
    model.ClipGradNorm(1f);
    optimizer.Step();
    model.ZeroGrad();
}

double trainSeconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"SensorGateway: {sensors} sensors through one GRU 1→{SensorModel.HiddenSize} ({SensorModel.ParameterCount:N0} parameters)");
Console.WriteLine($"trained in-process on healthy signals: {iterations} Adam steps of {Batch} windows in {trainSeconds:F1} s, " +
    $"loss {loss:E2} (the readings' own change-to-change noise is {2 * SensorFleet.NoiseStd * SensorFleet.NoiseStd:E2})");

// 2. Serve. Everything the loop touches is allocated here.
var fleet = new SensorFleet(sensors, frames, seed: 2);
var states = new SensorModel.State[sensors];
float[] readings = new float[sensors], predicted = new float[sensors], previous = new float[sensors];
float[] error2 = new float[sensors], baseline = new float[sensors], score = new float[sensors];
float[][] trace = [.. Enumerable.Range(0, 5).Select(_ => new float[frames])];
int[] traced = TracedSensors(fleet);
int[] firstAlarm = Enumerable.Repeat(-1, sensors).ToArray();
bool[] falseAlarm = new bool[sensors];
long[] ticks = new long[frames];
int calibrateUntil = frames / 2;
long allocatedBefore = 0;

// Sharding: thread w steps sensors [w·N/threads, (w+1)·N/threads). Input and output are one float per sensor, so a
// sensor's row is its index. The helper threads wait at the gate for each frame's readings.
var gate = new FrameGate(threads - 1);
void StepSlice(int w)
{
    int first = w * sensors / threads, count = ((w + 1) * sensors / threads) - first;
    model.Step(states.AsSpan(first, count), readings.AsSpan(first, count), predicted.AsSpan(first, count));
}

for (int w = 1; w < threads; w++)
{
    int slice = w;
    new Thread(() =>
    {
        for (int f = 0; f < frames; f++)
        {
            gate.WaitForFrame(f);   // the frame's readings are in
            StepSlice(slice);
            gate.SliceDone();
        }
    }) { IsBackground = true }.Start();
}

for (int f = 0; f < frames; f++)
{
    if (f == SettleFrames)
    {
        allocatedBefore = GC.GetAllocatedBytesForCurrentThread();   // past the first calls (and their JIT)
    }

    fleet.Read(f, readings);
    for (int s = 0; s < sensors; s++)
    {
        float e = previous[s] + predicted[s] - readings[s];            // last frame's forecast of this reading
        error2[s] = f == 0 ? 0 : e * e;
        previous[s] = readings[s];
    }

    long t0 = Stopwatch.GetTimestamp();
    if (threads == 1)
    {
        model.Step(states, readings, predicted);                      // every sensor one step, one call
    }
    else
    {
        gate.ReleaseFrame();
        StepSlice(0);
        gate.WaitForSlices(f);                                        // every helper's slice stepped
    }

    ticks[f] = Stopwatch.GetTimestamp() - t0;

    for (int s = 0; s < sensors; s++)
    {
        if (f < SettleFrames)
        {
            continue;
        }

        if (f < calibrateUntil)
        {
            baseline[s] += error2[s] / (calibrateUntil - SettleFrames);   // each sensor's normal error level
            continue;
        }

        score[s] += Smoothing * ((error2[s] / baseline[s]) - score[s]);
        if (score[s] > AlarmThreshold)
        {
            bool duringFault = fleet.FaultStart[s] != int.MaxValue && f >= fleet.FaultStart[s] && f < fleet.FaultStart[s] + SensorFleet.FaultLength;
            bool afterFault = fleet.FaultStart[s] != int.MaxValue && f >= fleet.FaultStart[s] + SensorFleet.FaultLength && f < fleet.FaultStart[s] + SensorFleet.FaultLength + SettleFrames;
            if (duringFault && firstAlarm[s] < 0)
            {
                firstAlarm[s] = f;
            }
            else if (!duringFault && !afterFault)
            {
                falseAlarm[s] = true;
            }
        }
    }

    for (int k = 0; k < traced.Length; k++)
    {
        trace[k][f] = f < calibrateUntil ? float.NaN : score[traced[k]];
    }
}

long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

// 3. Report.
double[] us = [.. ticks.Skip(SettleFrames).Select(t => t * 1e6 / Stopwatch.Frequency).Order()];
double total = us.Sum();
Console.WriteLine(threads == 1
    ? $"served {frames:N0} frames: one Step(Span<State>) of {sensors} streams per frame"
    : $"served {frames:N0} frames: {threads} threads, each one Step(Span<State>) of its {sensors / threads} streams per frame, one shared model");
Console.WriteLine($"  stream-steps per second   {sensors * us.Length / (total * 1e-6) / 1e6:F2} M over all calls, {sensors / Percentile(us, 0.50):F2} M at the median call   (model time only; frames after the first {SettleFrames})");
Console.WriteLine($"  per-frame latency         p50 {Percentile(us, 0.50):F1} µs   p99 {Percentile(us, 0.99):F1} µs   max {us[^1]:F1} µs");
Console.WriteLine($"  allocated while serving   {allocated} bytes");
int faulty = fleet.Faults.Count(x => x != Fault.None);
foreach (Fault kind in Enum.GetValues<Fault>().Skip(1))
{
    int[] these = [.. Enumerable.Range(0, sensors).Where(s => fleet.Faults[s] == kind)];
    int[] delays = [.. these.Where(s => firstAlarm[s] >= 0).Select(s => firstAlarm[s] - fleet.FaultStart[s]).Order()];
    Console.WriteLine($"  {kind,-10} faults: {delays.Length,3} of {these.Length,3} detected" +
        (delays.Length > 0 ? $", median {delays[delays.Length / 2]} frames after the fault began" : string.Empty));
}

int healthy = sensors - faulty;
int falseAlarms = Enumerable.Range(0, sensors).Count(s => falseAlarm[s] && fleet.Faults[s] == Fault.None);
int detected = Enumerable.Range(0, sensors).Count(s => firstAlarm[s] >= 0);
Console.WriteLine($"  detected {detected} of {faulty} faulty sensors; false alarms on {falseAlarms} of {healthy} healthy sensors (alarm: score > {AlarmThreshold})");
string plot = Path.GetFullPath(Path.Combine("out", "sensorgateway.png"));
Plot.Scores(trace, traced, fleet, AlarmThreshold, plot);
Console.WriteLine($"plot: {plot}");

// The example checks its own claims, so that CI running `--quick` catches it rotting.
bool ok = allocated == 0 && detected >= faulty * 3 / 4 && falseAlarms <= healthy / 50;
if (!ok)
{
    Console.Error.WriteLine("FAILED: the gateway allocated while serving, missed more than a quarter of the faults, or raised false alarms on more than 2% of healthy sensors");
}

return ok ? 0 : 1;

int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

// One sensor of each fault kind, and one healthy sensor.
static int[] TracedSensors(SensorFleet fleet) =>
    [.. Enum.GetValues<Fault>().Skip(1).Select(kind => Array.IndexOf(fleet.Faults, kind)), Array.IndexOf(fleet.Faults, Fault.None)];

/// <summary>
/// The frame hand-off between the main thread and the helpers: two counters and spinning waits, so that nothing is ever
/// allocated. (A <see cref="Barrier"/> was used first: in one run of four it left 88 bytes allocated on the serving thread
/// long after the first frames, most likely its blocking wait setting itself up when first needed, and it cost more a
/// frame than the second thread saved.)
/// Spinning suits a gateway whose frames come every few tens of microseconds; with frames far apart, block instead.
/// </summary>
internal sealed class FrameGate(int helpers)
{
    private int _released;   // frames the main thread has handed out
    private int _done;       // helper slices stepped, over all frames

    /// <summary>Main thread: the frame's readings are in place.</summary>
    public void ReleaseFrame() => Interlocked.Increment(ref _released);

    /// <summary>Helper: waits until frame <paramref name="frame"/> is released.</summary>
    public void WaitForFrame(int frame)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _released) <= frame)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Helper: its slice of the current frame is stepped.</summary>
    public void SliceDone() => Interlocked.Increment(ref _done);

    /// <summary>Main thread: waits until every helper has stepped its slice of frame <paramref name="frame"/>.</summary>
    public void WaitForSlices(int frame)
    {
        int target = (frame + 1) * helpers;
        var spin = new SpinWait();
        while (Volatile.Read(ref _done) < target)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
