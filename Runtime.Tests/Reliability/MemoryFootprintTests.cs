using System;
using Fixed.Tests.Stacks;
using Fixed.Tests.Support;
using Fixed.Tests.Training;
using Xunit;

namespace Fixed.Tests.Reliability;

/// <summary>
/// Memory per model instance, against the raw weight bytes (ParameterCount × 4). An inference-only model holds its
/// parameters and the kernels' packed copy of the recurrent weights, and nothing else of their size: no gradients
/// (allocated by their first use), no tape (the first Backward). The packed copy pads each gate's rows to whole vectors
/// (16, 8 or 4 floats, by hidden size and machine), so it is at most the recurrent weights when the hidden size is a
/// multiple of 16, and at most RoundUp(H, 16) / H times them otherwise. So <c>new Model()</c> plus the first Step
/// allocate at most (1 + that factor) × weights + a fixed overhead for the objects, array headers and the 64-byte
/// alignment slack: 2 × weights for the hidden sizes the benchmarks use (8 at AVX2, 16, 32, 64). The benchmark report's
/// "Cold start and memory" section measures the benchmark networks (the <c>memory</c> command of Benchmarks).
/// </summary>
public sealed class MemoryFootprintTests
{
    /// <summary>The model, store and lock objects, array headers and alignment slack: measured 164 B for one recurrent layer, 368 B for a stack of two.</summary>
    private const long FixedOverhead = 1024;

    [Fact]
    public void InferenceOnlyInstance_AtMostTwiceTheWeightsPlusFixedOverhead_NoGradientsUntilFirstUse()
    {
        // Hidden sizes that are whole vectors: at most 2 × weights (+ the fixed overhead).
        AssertFootprint<RnnRegression>(padding: 1);
        AssertFootprint<Gru32>(padding: 1);
        AssertFootprint<Lstm32>(padding: 1);
        AssertFootprint<DeepLstm64>(padding: 1);
        AssertFootprint<Stack>(padding: 16.0 / 8); // GRU 16 and GRU 8 (whole 8-float vectors; a factor of 2 bounds any machine)

        // Other hidden sizes: the padding factor RoundUp(H, 16) / H of the smallest H.
        AssertFootprint<SmallRnn>(padding: 16.0 / 5);
        AssertFootprint<SmallReluRnn>(padding: 16.0 / 4);
        AssertFootprint<SmallGru>(padding: 16.0 / 5);
        AssertFootprint<SmallLstm>(padding: 16.0 / 4);
        AssertFootprint<SmallGruNoHead>(padding: 16.0 / 6);
        AssertFootprint<FrontEnd>(padding: 32.0 / 20);
        AssertFootprint<EmbeddedFrontEnd>(padding: 32.0 / 20);
        AssertFootprint<MixedStack>(padding: 16.0 / 4);
    }

    private static void AssertFootprint<T>(double padding)
        where T : IRecurrentModel<T>
    {
        _ = Stages<T>(); // the first instance pays for static initialisation, once per type
        // The smallest of three instances: a background collection ending its mark phase while a stage allocates charges
        // that stage up to one 8 KB allocation quantum with no object behind it (Support/ThreadAllocations); each stage's
        // real allocations are the same every time, so that noise only ever adds. Seen once in CI (Gru32's instance read
        // 35,136 bytes instead of ~27,500) after the weights moved to the pinned heap, which gives the GC one more occasion.
        (long instance, long step, long gradients) = (long.MaxValue, long.MaxValue, long.MaxValue);
        for (int i = 0; i < 3; i++)
        {
            (long a, long b, long c) = Stages<T>();
            (instance, step, gradients) = (Math.Min(instance, a), Math.Min(step, b), Math.Min(gradients, c));
        }

        long weights = (long)T.ParameterCount * sizeof(float);
        string name = typeof(T).Name;
        Assert.True(step == 0, $"{name}: the first Step allocated {step} bytes.");
        long bound = (long)((1 + padding) * weights) + FixedOverhead;
        Assert.True(instance + step <= bound,
            $"{name}: an inference-only instance takes {instance + step} bytes for {weights} bytes of weights (more than {1 + padding:F2} × weights + {FixedOverhead}).");

        // The gradients came with the first read of Gradients, not with the constructor: exactly one buffer of ParameterCount
        // floats (an AlignedBuffer: its array, with one cache line of slack for the 64-byte alignment, and the small object
        // that holds it).
        Assert.InRange(gradients, weights + 64 + 16, weights + 64 + 64);
    }

    private static (long Instance, long Step, long Gradients) Stages<T>()
        where T : IRecurrentModel<T>
    {
        float[] input = new float[T.InputSize];
        float[] output = new float[T.OutputSize];
        float[] state = new float[T.StateLength];
        // Every read retires this thread's allocation context first (Support/ThreadAllocations), so that a background
        // collection ending its mark phase cannot add the context's unused rest to a stage.
        long a = ThreadAllocations.Start();
        T model = T.Create(1);
        long b = ThreadAllocations.Start();
        model.Step(state, input, output);
        long c = ThreadAllocations.Start();
        int length = model.Gradients.Length;
        long d = ThreadAllocations.Start();
        Assert.Equal(T.ParameterCount, length);
        Assert.Equal(model.Gradients.Length, length);
        return (b - a, c - b, d - c);
    }
}
