using System;
using System.Diagnostics;
using System.IO;
using System.Linq;

// An amp model over a guitar recording, as a plugin would run it: the model is a Neural Amp Modeler capture (AmpModel.cs:
// [ModelFile] reads the .nam file at compile time, weights, initial state and sample rate included), each stream starts
// from the state the file holds, the audio goes through in buffers of 256 frames
// like an audio callback's, and each channel of the file is one stream of one multi-stream Forward call (dual mono:
// two channels, one model, two States). Prints the real-time factor (processing time ÷ audio duration) and each
// buffer's latency, writes the processed WAV and a plot of input against output.
//
//   dotnet run -c Release --project examples/AmpSim [-- input.wav] [--out out/amp.wav] [--gain 1] [--seconds 6]
// Without an input file it synthesises --seconds of two plucked-string guitars at 48 kHz, one per channel
// (out/input.wav), and uses that.
string? inputPath = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !IsOptionValue(a));
string outPath = Path.GetFullPath(Option("--out", Path.Combine("out", "amp.wav")));
float gain = float.Parse(Option("--gain", "1"), System.Globalization.CultureInfo.InvariantCulture);
const int BufferFrames = 256;

Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
Wav input;
if (inputPath is null)
{
    input = Synth.Plucks(AmpModel.SampleRate, seconds: double.Parse(Option("--seconds", "6"), System.Globalization.CultureInfo.InvariantCulture));
    inputPath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(outPath)!, "input.wav"));
    input.Write(inputPath);
    Console.WriteLine($"no input given: synthesised {input.Seconds:F1} s of plucked strings -> {inputPath}");
}
else
{
    try
    {
        input = Wav.Read(inputPath);
    }
    catch (Exception e) when (e is InvalidDataException or IOException)
    {
        Console.Error.WriteLine($"cannot read the input: {e.Message}");
        return 1;
    }
}

if (input.SampleRate != AmpModel.SampleRate)
{
    Console.WriteLine($"note: {inputPath} is {input.SampleRate} Hz; the model was trained at {AmpModel.SampleRate} Hz (no resampling here: the tone will differ).");
}

var model = new AmpModel();   // the file's weights, compiled in
AmpModel.State start = model.InitialState();   // the file's h and c: where a NAM model is meant to start
int channels = input.Channels;
var states = new AmpModel.State[channels];
Array.Fill(states, start);
float[] samples = input.Samples;
var output = new float[samples.Length];
if (gain != 1f)
{
    samples = [.. samples.Select(s => s * gain)];
}

// Interleaved samples are already [T, N, InputSize] with N = channels and InputSize = 1: each buffer is one call.
// The file goes through twice, each time from the initial state: the first pass is where the JIT compiles and optimises the
// code (a plugin does that while it loads); the second is what playback costs, and its output is the one written.
int buffers = (input.Frames + BufferFrames - 1) / BufferFrames;
var latency = new double[buffers];
double firstPass = Process();
Array.Fill(states, start);
long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
double seconds = Process();
long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

// Check: the first channel alone, through the single-stream Forward from the initial state, must give the same samples.
var mono = new float[input.Frames];
var alone = new float[input.Frames];
for (int n = 0; n < mono.Length; n++)
{
    mono[n] = samples[n * channels];
}

AmpModel.State single = start;
model.Forward(ref single, mono, alone);
float worst = 0;
for (int n = 0; n < alone.Length; n++)
{
    worst = MathF.Max(worst, MathF.Abs(alone[n] - output[n * channels]));
}

var result = input with { Samples = output };
result.Write(outPath);
Array.Sort(latency);
double bufferMs = 1000.0 * BufferFrames / input.SampleRate;
Console.WriteLine($"model        {AmpModel.Description}");
Console.WriteLine($"audio        {input.Seconds:F2} s, {input.SampleRate} Hz, {channels} channel(s) as {channels} stream(s), buffers of {BufferFrames} frames ({bufferMs:F2} ms)");
Console.WriteLine($"first pass   {firstPass * 1000:F1} ms (includes JIT compilation)");
Console.WriteLine($"processing   {seconds * 1000:F1} ms: real-time factor {seconds / input.Seconds:F4} ({input.Seconds / seconds:F0}x faster than real time)");
Console.WriteLine($"per buffer   p50 {Percentile(0.50):F1} us, p99 {Percentile(0.99):F1} us, max {latency[^1]:F1} us (budget {bufferMs * 1000:F0} us)");
Console.WriteLine($"allocated    {allocated} bytes while processing");
Console.WriteLine($"check        channel 1 through the single-stream Forward: max difference {worst:G3}");
Console.WriteLine($"wrote        {outPath}");
string plotPath = Path.ChangeExtension(outPath, ".png");
Plot.Waveforms(input, result, plotPath);
Console.WriteLine($"wrote        {plotPath}");
if (allocated != 0 || !(worst <= 1e-5f))
{
    Console.Error.WriteLine("FAILED: processing allocated, or the multi-stream output differs from the single-stream Forward.");
    return 2;
}

return 0;

double Process()
{
    long start = Stopwatch.GetTimestamp();
    for (int b = 0; b < buffers; b++)
    {
        int first = b * BufferFrames * channels;
        int length = Math.Min(BufferFrames * channels, samples.Length - first);
        long t0 = Stopwatch.GetTimestamp();
        model.Forward(states, samples.AsSpan(first, length), output.AsSpan(first, length));
        latency[b] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
    }

    return Stopwatch.GetElapsedTime(start).TotalSeconds;
}

double Percentile(double q) => latency[Math.Min(latency.Length - 1, (int)(q * latency.Length))];

string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

bool IsOptionValue(string a)
{
    int i = Array.IndexOf(args, a);
    return i > 0 && args[i - 1].StartsWith("--", StringComparison.Ordinal);
}
