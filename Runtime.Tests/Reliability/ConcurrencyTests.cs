using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Fixed.Tests.Reliability;

/// <summary>
/// Inference reads the model and nothing else: N threads, each with its own State, stepping one shared model
/// 100,000 times each, get bit-identical outputs to the same sequences run one after another on one thread.
/// </summary>
public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    private const int Threads = 4, Steps = 100_000;

    [Fact]
    public void SharedModel_FourThreadsTimes100kSteps_BitIdenticalToSerial()
    {
        var model = new SoakGru(seed: 5);
        float[] parameters = model.Parameters.ToArray();
        var serial = new int[Threads][];
        var parallel = new int[Threads][];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int t = 0; t < Threads; t++)
        {
            serial[t] = Run(model, t);
        }

        TimeSpan serialTime = clock.Elapsed;

        // Started together, so that the threads really overlap.
        using var start = new Barrier(Threads);
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            start.SignalAndWait(TestContext.Current.CancellationToken);
            parallel[t] = Run(model, t);
        });

        for (int t = 0; t < Threads; t++)
        {
            for (int i = 0; i < serial[t].Length; i++)
            {
                if (serial[t][i] != parallel[t][i])
                {
                    Assert.Fail($"thread {t}, output {i} (step {i / SoakGru.OutputSize}): {BitConverter.Int32BitsToSingle(parallel[t][i])} in parallel, {BitConverter.Int32BitsToSingle(serial[t][i])} serially");
                }
            }
        }

        Assert.Equal(parameters, model.Parameters.ToArray());
        Figures.Write(output, $"concurrency: {Threads} threads x {Steps:N0} steps on one SoakGru, bit-identical to serial " +
                              $"(serial {serialTime.TotalSeconds:F1} s, total {clock.Elapsed.TotalSeconds:F1} s)");
    }

    /// <summary>One thread's sequence: a sine of its own frequency with a spike every 997 steps, state carried throughout; the output bits.</summary>
    private static int[] Run(SoakGru model, int thread)
    {
        var state = default(SoakGru.State);
        Span<float> input = stackalloc float[SoakGru.InputSize];
        Span<float> step = stackalloc float[SoakGru.OutputSize];
        var bits = new int[Steps * SoakGru.OutputSize];
        for (int i = 0; i < Steps; i++)
        {
            input[0] = MathF.Sin(0.001f * i * (thread + 1));
            input[1] = i % 997 == 0 ? 50f : MathF.Cos(0.0007f * i);
            model.Step(ref state, input, step);
            for (int o = 0; o < SoakGru.OutputSize; o++)
            {
                bits[i * SoakGru.OutputSize + o] = BitConverter.SingleToInt32Bits(step[o]);
            }
        }

        return bits;
    }
}
