using System;
using System.Runtime.CompilerServices;
using Fixed.Tests.Support;
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
    public void Inference_VeryFirstCallOfAFreshShape_AllocatesNothingOfOurs()
    {
        // A shape no other test runs, so this is the first call ever: no lazily created delegate or cache either. The first
        // call of a shape is also where the JIT compiles its code, and compiling can allocate on the calling thread (class
        // initialisation, runtime objects; seen once in a loaded CI stage: 6,208 bytes while methods were being compiled).
        // So the first call may allocate only while the JIT compiled something, and a second instance's first call, with
        // every method compiled, must allocate nothing at all.
        long compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        long firstBytes = FirstCalls(new FirstCallOnly(seed: 1));
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - compiledBefore;
        Assert.True(firstBytes == 0 || compiled > 0, $"the first call allocated {firstBytes} bytes and the JIT compiled nothing meanwhile: the allocation is ours.");
        Assert.Equal(0, FirstCalls(new FirstCallOnly(seed: 2)));

        static long FirstCalls(FirstCallOnly model)
        {
            var state = default(FirstCallOnly.State);
            Span<float> input = stackalloc float[FirstCallOnly.InputSize];
            Span<float> output = stackalloc float[FirstCallOnly.OutputSize];
            long before = ThreadAllocations.Start();
            model.Step(ref state, input, output);
            model.Forward(ref state, input, output);
            model.WarmUp(ref state, input);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
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
        long before = ThreadAllocations.Start();
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

    /// <summary>The calls of one training iteration, in order (for the failure messages).</summary>
    private static readonly string[] TrainingCalls = ["Backward", "Backward (batch)", "ClipGradNorm", "ClipGradValue", "optimizer.Step", "ZeroGrad"];

    /// <remarks>
    /// <para>
    /// <see cref="GC.GetAllocatedBytesForCurrentThread"/> counts every allocation made on this thread, the runtime's
    /// included, and, at the end of a background collection's mark phase, the unused rest of this thread's allocation
    /// context, which that collection voids without subtracting it: one CI run charged 8,168 bytes to a <c>ZeroGrad</c>
    /// that way (<see cref="ThreadAllocations"/>; tools/AllocCause and docs/reliability.md show it). Each window therefore
    /// starts from an empty allocation context, and after that only an allocation on this thread moves the count.
    /// </para>
    /// <para>
    /// The JIT also compiles on this thread in the measured loop: on-stack replacement (a loop that runs long in tier-0
    /// code is recompiled by the thread running it; tools/AllocProbe shows ClipGradNorm, ClipGradValue and the optimizers'
    /// loops compiled that way within the first few hundred iterations), and compiling can run code that allocates. So the
    /// loop is measured call by call from the second iteration on (the first allocates the gradients, tape and work
    /// buffers): a call that allocated while the process's compiled-method count did not move
    /// (<see cref="System.Runtime.JitInfo.GetCompiledMethodCount"/>) fails the test at once, naming the call; bytes counted
    /// in a call during which the JIT compiled methods are set aside as the JIT's, and the loop is measured again; the test
    /// needs a window of 10,000 iterations with no allocation at all within three windows.
    /// </para>
    /// </remarks>
    private static void AssertTrainingAllocatesNothing<T>(Func<T, Optimizer> createOptimizer, int longest = 32)
        where T : IRecurrentModel<T>
    {
        T model = T.Create(2);
        Optimizer optimizer = createOptimizer(model);
        int steps = Math.Min(T.Window, longest);
        float[] inputs = new float[steps * T.InputSize];
        float[] targets = new float[steps * T.OutputSize];
        float[] batchInputs = new float[6 * steps * T.InputSize];
        float[] batchTargets = new float[6 * T.OutputSize];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = MathF.Sin(i * 0.1f);
        }

        targets.AsSpan().Fill(0.5f);
        Span<float> state = stackalloc float[T.StateLength];
        long[] jitBytes = new long[TrainingCalls.Length];
        var mark = new Mark();

        void Iteration(Span<float> s, ref Mark m, long[] jitted)
        {
            m.Start();
            model.Backward(s, inputs, targets, Loss.Mse, LossOn.AllSteps, warmUp: 0);
            m.End(0, jitted);
            model.Backward(batchInputs, batchTargets, 6, Loss.Huber, LossOn.LastStep); // a group of four sequences and a group of two
            m.End(1, jitted);
            model.ClipGradNorm(1f);
            m.End(2, jitted);
            model.ClipGradValue(10f);
            m.End(3, jitted);
            optimizer.Step();
            m.End(4, jitted);
            model.ZeroGrad();
            m.End(5, jitted);
        }

        // The first iteration allocates the gradients, the tape and the work buffers, once; the windows measure from the second.
        // FIXED_ALLOC_TRACE=1 (scripts/reliability/alloc-trace.sh) also records what the runtime did on this thread meanwhile
        // (Support/AllocationTrace).
        using AllocationTrace? trace = AllocationTrace.Requested ? new AllocationTrace() : null;
        Iteration(state, ref mark, jitBytes);

        trace?.WatchCurrentThread();
        var windows = new System.Collections.Generic.List<string>();
        for (int window = 0; window < 3; window++)
        {
            Array.Clear(jitBytes);
            mark = default;
            long before = ThreadAllocations.Start(); // an empty allocation context: nothing for a background collection to void
            for (int i = 0; i < 10_000; i++)
            {
                Iteration(state, ref mark, jitBytes);
                if (mark.Ours != 0)
                {
                    Assert.Fail($"{typeof(T).Name}: {TrainingCalls[mark.OursCall]} allocated {mark.Ours} bytes in iteration {i + 1} of window {window + 1} while the JIT compiled nothing: the allocation is ours.{Traced(trace, $"{typeof(T).Name} caught: {TrainingCalls[mark.OursCall]} {mark.Ours} B, iteration {i + 1} of window {window + 1}")}");
                }
            }

            long allocated = ThreadAllocations.Now() - before;
            if (allocated == 0)
            {
                _ = Traced(trace, $"{typeof(T).Name} passed in window {window + 1}");
                return;
            }

            windows.Add($"window {window + 1}: {allocated} bytes, all in calls during which this thread compiled methods ({Describe(jitBytes)})");
        }

        Assert.Fail($"{typeof(T).Name}: no window of 10,000 training iterations without allocation (an allocation in every window is ours): {string.Join("; ", windows)}.{Traced(trace, $"{typeof(T).Name} failed: {string.Join("; ", windows)}")}");
    }

    /// <summary>Saves a traced run's events and returns a sentence for the failure message (nothing when not traced).</summary>
    private static string Traced(AllocationTrace? trace, string heading)
    {
        if (trace is null)
        {
            return string.Empty;
        }

        trace.StopWatching();
        string path = trace.Save(heading);
        return $" The runtime's events on this thread: {path}; the last ones: {string.Join(" | ", System.Linq.Enumerable.TakeLast(trace.Events, 12))}";
    }

    private static string Describe(long[] bytesByCall)
    {
        var parts = new System.Collections.Generic.List<string>();
        for (int c = 0; c < bytesByCall.Length; c++)
        {
            if (bytesByCall[c] != 0)
            {
                parts.Add($"{TrainingCalls[c]} {bytesByCall[c]} B");
            }
        }

        return string.Join(", ", parts);
    }

    /// <summary>
    /// Allocated bytes and JIT compilations between calls, without allocating. Compilations are counted on every thread
    /// (a method that reaches its tier-up call count is compiled again on the runtime's background thread), so bytes counted
    /// while any thread compiled are set aside as the JIT's.
    /// </summary>
    private struct Mark
    {
        private long _bytes;
        private long _compiled;

        /// <summary>Bytes allocated in a call during which the JIT compiled nothing, and that call's index.</summary>
        public long Ours;
        public int OursCall;

        public void Start()
        {
            _bytes = GC.GetAllocatedBytesForCurrentThread();
            _compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        }

        public void End(int call, long[] jitBytes)
        {
            long bytes = GC.GetAllocatedBytesForCurrentThread();
            long compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
            long allocated = bytes - _bytes;
            if (allocated != 0)
            {
                if (compiled != _compiled)
                {
                    // The runtime allocated on this thread while compiling, and left it an allocation context with an unused
                    // rest: retired now, so that a background collection voiding it cannot charge a later call.
                    jitBytes[call] += allocated;
                    bytes = ThreadAllocations.Start();
                }
                else if (Ours == 0)
                {
                    Ours = allocated;
                    OursCall = call;
                }
            }

            _bytes = bytes;
            _compiled = compiled;
        }
    }
}

[Recurrent(2, 3, Cell = Cell.Gru, OutputSize = 2)]
public partial class FirstCallOnly;

/// <summary>Three layers and a window of 64 steps: the deepest and longest tape the allocation tests train.</summary>
[Recurrent(3, 16, Cell = Cell.Lstm, NumLayers = 3, OutputSize = 2, Window = 64)]
public partial class DeepLstm64;
