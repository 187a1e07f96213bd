using System;
using System.Diagnostics;
using System.Globalization;

namespace Fixed.Tests.Reliability;

/// <summary>
/// The soak of scripts/reliability/soak.sh (not run in CI): a long stream of Step calls with the state carried, then
/// a long run of online training updates as in examples/SensorStream (truncated BPTT over windows of 32 steps from
/// the live state, gradient clipping, Adam, a guard that skips non-finite steps), on the sensor example's GRU.
/// Reports NaN counts, bytes allocated and garbage collections inside the loops, and wall time.
/// Environment: FIXED_SOAK_STEPS (default 100,000,000) and FIXED_SOAK_UPDATES (default 1,000,000).
/// </summary>
internal static class Soak
{
    private const int Chunk = 10_000_000;

    public static int Run()
    {
        long steps = ConsoleEntry.Number("FIXED_SOAK_STEPS", 100_000_000);
        long updates = ConsoleEntry.Number("FIXED_SOAK_UPDATES", 1_000_000);
        Console.WriteLine($"soak: {steps:N0} streaming steps, then {updates:N0} training updates; .NET {Environment.Version}, {Environment.ProcessorCount} CPUs");
        bool streamingClean = Streaming(steps);
        bool trainingClean = Training(updates);
        return streamingClean && trainingClean ? 0 : 1;
    }

    /// <summary>A deterministic sensor: a wandering sine, a harmonic and xorshift noise.</summary>
    private struct Sensor
    {
        private uint _noise;
        private double _phase;
        private long _n;

        public Sensor(uint seed) => _noise = seed | 1;

        public float Next()
        {
            double seconds = _n++ / 1000.0;
            _phase += 2 * Math.PI * (5 + 3 * Math.Sin(2 * Math.PI * seconds / 80)) / 1000.0;
            if (_phase > 2 * Math.PI)
            {
                _phase -= 2 * Math.PI;
            }

            _noise ^= _noise << 13;
            _noise ^= _noise >> 17;
            _noise ^= _noise << 5;
            float noise = (_noise >> 8) * (1f / (1 << 24)) - 0.5f;
            return (float)(Math.Sin(_phase) + 0.3 * Math.Sin(3 * _phase + 0.5)) + 0.05f * noise;
        }
    }

    private static bool Streaming(long steps)
    {
        var model = new SoakSensorGru(seed: 3);
        var state = default(SoakSensorGru.State);
        var sensor = new Sensor(7);
        long nan = 0, allocated = 0, done = 0;
        double sumAbs = 0;
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        var clock = Stopwatch.StartNew();
        StreamChunk(model, ref state, ref sensor, 1_000, ref nan, ref sumAbs);   // first calls: JIT and one-time setup
        while (done < steps)
        {
            long count = Math.Min(Chunk, steps - done);
            long before = GC.GetAllocatedBytesForCurrentThread();
            StreamChunk(model, ref state, ref sensor, count, ref nan, ref sumAbs);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            done += count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  streamed {done:N0} steps, {clock.Elapsed.TotalSeconds:F0} s"));
        }

        clock.Stop();
        bool stateFinite = true;
        foreach (float h in state.Hidden(0))
        {
            stateFinite &= float.IsFinite(h);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"STREAMING {done:N0} Step calls, state carried: {nan} NaN outputs, final state finite: {stateFinite}, mean |output| {sumAbs / done:F4}, " +
            $"{allocated} bytes allocated in the loop, GC collections gen0 {GC.CollectionCount(0) - gen0} gen1 {GC.CollectionCount(1) - gen1} gen2 {GC.CollectionCount(2) - gen2}, " +
            $"{clock.Elapsed.TotalSeconds:F1} s wall ({clock.Elapsed.TotalNanoseconds / done:F0} ns per step)"));
        return nan == 0 && stateFinite && allocated == 0;
    }

    private static void StreamChunk(SoakSensorGru model, ref SoakSensorGru.State state, ref Sensor sensor, long count, ref long nan, ref double sumAbs)
    {
        Span<float> input = stackalloc float[1];
        Span<float> output = stackalloc float[1];
        double sum = 0;
        long nans = 0;
        for (long i = 0; i < count; i++)
        {
            input[0] = sensor.Next();
            model.Step(ref state, input, output);
            float y = output[0];
            if (float.IsNaN(y))
            {
                nans++;
            }

            sum += MathF.Abs(y);
        }

        nan += nans;
        sumAbs += sum;
    }

    private static bool Training(long updates)
    {
        const int window = SoakSensorGru.Window;
        var model = new SoakSensorGru(seed: 3);
        var optimizer = new Adam(model, lr: 2e-3f);
        var sensor = new Sensor(11);
        var live = default(SoakSensorGru.State);
        float[] inputs = new float[window], targets = new float[window];
        long skipped = 0, nanLosses = 0, clipped = 0, allocated = 0, done = 0;
        double firstLoss = 0, lastLoss = 0;
        float previous = sensor.Next();
        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        var clock = Stopwatch.StartNew();
        const long reportEvery = 100_000;
        while (done < updates)
        {
            long count = Math.Min(reportEvery, updates - done);
            long before = GC.GetAllocatedBytesForCurrentThread();
            double loss = TrainChunk(model, optimizer, ref live, ref sensor, ref previous, inputs, targets, count, ref skipped, ref nanLosses, ref clipped);
            if (done > 0)
            {
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;   // the first chunk holds the first calls' one-time setup
            }

            firstLoss = done == 0 ? loss : firstLoss;
            lastLoss = loss;
            done += count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {done:N0} updates, mean loss of the last {count:N0}: {loss:E3}, {clock.Elapsed.TotalSeconds:F0} s"));
        }

        clock.Stop();
        bool finite = Array.TrueForAll(model.Parameters.ToArray(), float.IsFinite);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TRAINING {done:N0} online updates (BPTT over {window} steps from the live state, ClipGradNorm(1), Adam): {nanLosses} NaN losses, {skipped} steps skipped as non-finite, " +
            $"{clipped} gradients clipped, parameters finite: {finite}, mean loss first {reportEvery:N0} {firstLoss:E3} -> last {lastLoss:E3}, " +
            $"{allocated} bytes allocated after the first {reportEvery:N0} updates, GC collections gen0 {GC.CollectionCount(0) - gen0} gen1 {GC.CollectionCount(1) - gen1} gen2 {GC.CollectionCount(2) - gen2}, " +
            $"{clock.Elapsed.TotalSeconds:F1} s wall ({clock.Elapsed.TotalMicroseconds / done:F1} us per update of {window} steps)"));
        return nanLosses == 0 && skipped == 0 && finite && allocated == 0;
    }

    /// <summary>Streams <paramref name="count"/> windows through the live state, one update after each; returns the mean loss.</summary>
    private static double TrainChunk(SoakSensorGru model, Adam optimizer, ref SoakSensorGru.State live, ref Sensor sensor, ref float previous,
        float[] inputs, float[] targets, long count, ref long skipped, ref long nanLosses, ref long clipped)
    {
        Span<float> input = stackalloc float[1];
        Span<float> prediction = stackalloc float[1];
        double sum = 0;
        for (long u = 0; u < count; u++)
        {
            SoakSensorGru.State windowStart = live;
            for (int t = 0; t < inputs.Length; t++)
            {
                float sample = sensor.Next();
                inputs[t] = previous;
                targets[t] = sample - previous;
                input[0] = previous;
                model.Step(ref live, input, prediction);
                previous = sample;
            }

            float loss = model.Backward(ref windowStart, inputs, targets, Loss.Mse, LossOn.AllSteps);
            nanLosses += float.IsNaN(loss) ? 1 : 0;
            float norm = model.ClipGradNorm(1f);
            if (float.IsFinite(norm))
            {
                clipped += norm > 1f ? 1 : 0;
                optimizer.Step();
            }
            else
            {
                skipped++;
            }

            model.ZeroGrad();
            sum += loss;
        }

        return sum / count;
    }
}
