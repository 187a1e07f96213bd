using System;
using System.Threading.Tasks;
using Xunit;

namespace Fixed.Tests.Inference;

/// <summary>One model, many threads, each with its own state: results bit-identical to a serial run.</summary>
public sealed class ThreadSafetyTests
{
    [Fact]
    public void Step_SharedModelOwnStates_BitIdenticalToSerial()
    {
        const int threads = 4, steps = 20_000;
        var model = new Lstm32(seed: 3);
        float[][] serial = new float[threads][];
        float[][] parallel = new float[threads][];
        for (int t = 0; t < threads; t++)
        {
            serial[t] = Run(model, t, steps);
        }

        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => parallel[t] = Run(model, t, steps));

        for (int t = 0; t < threads; t++)
        {
            Assert.Equal(serial[t], parallel[t]);
        }
    }

    private static float[] Run(Lstm32 model, int thread, int steps)
    {
        var state = default(Lstm32.State);
        Span<float> input = stackalloc float[Lstm32.InputSize];
        Span<float> output = stackalloc float[Lstm32.OutputSize];
        var trace = new float[steps];
        for (int i = 0; i < steps; i++)
        {
            input[0] = MathF.Sin(0.01f * i * (thread + 1));
            model.Step(ref state, input, output);
            trace[i] = output[0];
        }

        return trace;
    }
}
