using System;
using System.Runtime.CompilerServices;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// The zero-allocation guarantee, measured: <see cref="GC.GetAllocatedBytesForCurrentThread"/> must not move over
/// many calls made after one warm call (which may allocate the BPTT tape once).
/// </summary>
public sealed class AllocationTests
{
    /// <summary>Steps per multi-step call: longer than any window, as inference is not bounded by one.</summary>
    private const int LongSequence = 64;

    [Fact]
    public void Inference_OneStepAndSixtyFourStepCalls_AllocatesNothing()
    {
        // One layer (the three cells at H = 32) and two layers (each cell).
        AssertInferenceAllocatesNothing<RnnRegression>();
        AssertInferenceAllocatesNothing<Gru32>();
        AssertInferenceAllocatesNothing<Lstm32>();
        AssertInferenceAllocatesNothing<SmallRnn>();
        AssertInferenceAllocatesNothing<SmallGru>();
        AssertInferenceAllocatesNothing<SmallLstm>();
        AssertInferenceAllocatesNothing<DeepLstm64>();
    }

    [Fact]
    public void Inference_VeryFirstCallOfAFreshShape_AllocatesNothing()
    {
        // A shape no other test runs, so this is the first call ever: no lazily created delegate or cache either.
        var model = new FirstCallOnly(seed: 1);
        var state = default(FirstCallOnly.State);
        Span<float> input = stackalloc float[FirstCallOnly.InputSize];
        Span<float> output = stackalloc float[FirstCallOnly.OutputSize];

        long before = GC.GetAllocatedBytesForCurrentThread();
        model.Step(ref state, input, output);
        model.Forward(ref state, input, output);
        model.WarmUp(ref state, input);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void TrainingIteration_10kIterations_AllocatesNothing()
    {
        // One layer (the three cells at H = 32), two layers (each cell, window 12) and three (an LSTM over a 64-step window).
        AssertTrainingAllocatesNothing<RnnRegression>(m => new Adam(m, 1e-3f));
        AssertTrainingAllocatesNothing<Gru32>(m => new AdamW(m));
        AssertTrainingAllocatesNothing<Lstm32>(m => new Sgd(m, 1e-3f, momentum: 0.9f, nesterov: true));
        AssertTrainingAllocatesNothing<SmallRnn>(m => new Sgd(m, 1e-3f, momentum: 0.9f));
        AssertTrainingAllocatesNothing<SmallGru>(m => new Adam(m, 1e-3f));
        AssertTrainingAllocatesNothing<SmallLstm>(m => new AdamW(m));
        AssertTrainingAllocatesNothing<DeepLstm64>(m => new Adam(m, 1e-3f), longest: 64);
    }

    private static void AssertInferenceAllocatesNothing<T>()
        where T : IRecurrentModel<T>
    {
        T model = T.Create(1);
        Span<float> state = stackalloc float[T.StateLength];
        float[] input = new float[T.InputSize];
        float[] output = new float[T.OutputSize];
        float[] inputs = new float[LongSequence * T.InputSize];
        float[] outputs = new float[LongSequence * T.OutputSize];
        input.AsSpan().Fill(0.3f);
        inputs.AsSpan().Fill(-0.2f);

        // One full run first, so that tiering and on-stack replacement of the loops themselves are done
        // (both compile on this thread); the guarantee is about the steady state after the first call.
        RunInference(model, state, input, output, inputs, outputs);
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunInference(model, state, input, output, inputs, outputs);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{typeof(T).Name}: inference allocated {allocated} bytes over 300,000 one-step and 4,000 {LongSequence}-step calls.");
        Assert.True(float.IsFinite(output[0]) && float.IsFinite(outputs[^1]));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RunInference<T>(T model, Span<float> state, float[] input, float[] output, float[] inputs, float[] outputs)
        where T : IRecurrentModel<T>
    {
        for (int i = 0; i < 100_000; i++)
        {
            model.Step(state, input, output);
        }

        for (int i = 0; i < 100_000; i++)
        {
            model.Forward(state, inputs.AsSpan(0, T.InputSize), outputs.AsSpan(0, T.OutputSize));
        }

        for (int i = 0; i < 100_000; i++)
        {
            model.WarmUp(state, inputs.AsSpan(0, T.InputSize));
        }

        for (int i = 0; i < 2_000; i++)
        {
            model.Forward(state, inputs, outputs);
        }

        for (int i = 0; i < 2_000; i++)
        {
            model.WarmUp(state, inputs);
        }
    }

    private static void AssertTrainingAllocatesNothing<T>(Func<T, Optimizer> createOptimizer, int longest = 32)
        where T : IRecurrentModel<T>
    {
        T model = T.Create(2);
        Optimizer optimizer = createOptimizer(model);
        int steps = Math.Min(T.Window, longest);
        float[] inputs = new float[steps * T.InputSize];
        float[] targets = new float[steps * T.OutputSize];
        float[] batchInputs = new float[4 * steps * T.InputSize];
        float[] batchTargets = new float[4 * T.OutputSize];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = MathF.Sin(i * 0.1f);
        }

        targets.AsSpan().Fill(0.5f);
        Span<float> state = stackalloc float[T.StateLength];

        void Iteration(Span<float> s)
        {
            model.Backward(s, inputs, targets, Loss.Mse, LossOn.AllSteps, warmUp: 0);
            model.Backward(batchInputs, batchTargets, 4, Loss.Huber, LossOn.LastStep);
            model.ClipGradNorm(1f);
            model.ClipGradValue(10f);
            optimizer.Step();
            model.ZeroGrad();
        }

        // Warm up past tiered compilation before measuring the steady state. With a single warm-up iteration one CI run
        // (AVX2 path, a loaded machine, the test took 17 s instead of ~2) counted 6,760 bytes for the LSTM; not reproduced
        // in 20 reruns. Suspected: methods still being compiled inside the measured loop (on-stack replacement runs on
        // this thread). Not proven; if it recurs with this warm-up, it is ours.
        for (int i = 0; i < 2_000; i++)
        {
            Iteration(state);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            Iteration(state);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{typeof(T).Name}: training allocated {allocated} bytes over 10,000 iterations.");
    }
}

[Recurrent(2, 3, Cell = Cell.Gru, OutputSize = 2)]
public partial class FirstCallOnly;

/// <summary>Three layers and a window of 64 steps: the deepest and longest tape the allocation tests train.</summary>
[Recurrent(3, 16, Cell = Cell.Lstm, NumLayers = 3, OutputSize = 2, Window = 64)]
public partial class DeepLstm64;
