using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using Xunit;

namespace Fixed.Tests.Inference;

// Two layers; hidden sizes that are a whole number of vectors at no SIMD width (5, 17, 33), so that with SIMD every gate
// block ends in padding (17 and 33 in a last vector holding a single unit).
[Recurrent(3, 5, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsRnn5;

[Recurrent(3, 17, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsRnn17;

[Recurrent(2, 33, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsRnn33;

[Recurrent(3, 5, Cell = Cell.Gru, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsGru5;

[Recurrent(3, 17, Cell = Cell.Gru, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsGru17;

[Recurrent(2, 33, Cell = Cell.Gru, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsGru33;

[Recurrent(3, 5, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsLstm5;

[Recurrent(3, 17, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsLstm17;

[Recurrent(2, 33, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 2, Window = 8)]
public partial class PsLstm33;

public sealed class ParameterStoreTests_Rnn5 : ParameterStoreTests<PsRnn5>;

public sealed class ParameterStoreTests_Rnn17 : ParameterStoreTests<PsRnn17>;

public sealed class ParameterStoreTests_Rnn33 : ParameterStoreTests<PsRnn33>;

public sealed class ParameterStoreTests_Gru5 : ParameterStoreTests<PsGru5>;

public sealed class ParameterStoreTests_Gru17 : ParameterStoreTests<PsGru17>;

public sealed class ParameterStoreTests_Gru33 : ParameterStoreTests<PsGru33>;

public sealed class ParameterStoreTests_Lstm5 : ParameterStoreTests<PsLstm5>;

public sealed class ParameterStoreTests_Lstm17 : ParameterStoreTests<PsLstm17>;

public sealed class ParameterStoreTests_Lstm33 : ParameterStoreTests<PsLstm33>;

/// <summary>
/// Every documented way of writing <c>Parameters</c> is seen by the very next inference call, bit for bit.
/// </summary>
/// <remarks>
/// The oracle for "seen" is a second model that was given the final weights before it ever ran (so its packed
/// copy was built once, from those weights) and is run from the same state on the same inputs. Each test also
/// runs a third model holding the weights from before the write and asserts that its result differs: a test in
/// which the write did not matter could not notice a stale packed copy. The weights are snapshotted before the
/// first inference call, never read back through <c>Parameters</c> between the calls under test (reading it is a
/// write access too, and would mark the copy stale by itself).
/// </remarks>
public abstract class ParameterStoreTests<TModel>
    where TModel : class, IRecurrentModel<TModel>
{
    private const int WarmSteps = 3;
    private const int Steps = 5;

    [Fact]
    public void IndexerWrite_BetweenTwoSteps_IsSeenByTheNextStep()
    {
        foreach (int index in Probes())
        {
            TModel model = TModel.Create(1);
            float[] before = Snapshot(model);
            float[] state = Warm(model);
            float value = before[index] + 0.75f;

            model.Parameters[index] = value;
            float[] actual = StepOnce(model, state);

            float[] after = (float[])before.Clone();
            after[index] = value;
            AssertSeen(before, after, state, actual, $"Parameters[{index}] ({Describe(index)})");
        }
    }

    [Fact]
    public void CopyToParameters_BetweenTwoSteps_IsSeenByTheNextStep()
    {
        TModel model = TModel.Create(1);
        float[] before = Snapshot(model);
        float[] source = Snapshot(TModel.Create(7));
        float[] state = Warm(model);

        source.CopyTo(model.Parameters);
        float[] actual = StepOnce(model, state);

        AssertSeen(before, source, state, actual, "source.CopyTo(model.Parameters)");
    }

    [Fact]
    public void ParametersClear_BetweenTwoSteps_IsSeenByTheNextStep()
    {
        TModel model = TModel.Create(1);
        float[] before = Snapshot(model);
        float[] state = Warm(model);

        model.Parameters.Clear();
        float[] stateAfter = (float[])state.Clone();
        float[] output = new float[TModel.OutputSize];
        model.Step(stateAfter, Input(WarmSteps), output);

        AssertSeen(before, new float[TModel.ParameterCount], state, [.. output, .. stateAfter], "model.Parameters.Clear()");

        // Independently of the engine: with every weight and bias zero, the head outputs exactly 0, and every gate
        // pre-activation is 0, so an RNN's h becomes tanh(0) = 0, a GRU's h halves (z = 1/2, n = 0) and an LSTM's
        // c halves (f = i = 1/2, g = 0) with h = tanh(c) / 2.
        Assert.All(output, o => Assert.Equal(0f, o));
        int h = TModel.HiddenSize;
        for (int layer = 0; layer < TModel.NumLayers; layer++)
        {
            for (int u = 0; u < h; u++)
            {
                if (TModel.CellKind == Cell.Lstm)
                {
                    float c = 0.5f * state[(layer * 2 * h) + h + u];
                    AssertClose(c, stateAfter[(layer * 2 * h) + h + u], $"layer {layer} c[{u}]");
                    AssertClose(0.5f * MathF.Tanh(c), stateAfter[(layer * 2 * h) + u], $"layer {layer} h[{u}]");
                }
                else
                {
                    float expected = TModel.CellKind == Cell.Gru ? 0.5f * state[(layer * h) + u] : 0f;
                    AssertClose(expected, stateAfter[(layer * h) + u], $"layer {layer} h[{u}]");
                }
            }
        }
    }

    [Fact]
    public void LoadFromStream_BetweenTwoSteps_IsSeenByTheNextStep()
    {
        TModel model = TModel.Create(1);
        float[] before = Snapshot(model);
        var file = new MemoryStream();
        TModel.Create(7).Save(file);
        float[] saved = Snapshot(TModel.Create(7));
        Assert.NotEqual(before, saved);
        float[] state = Warm(model);

        file.Position = 0;
        model.Load(file);
        float[] actual = StepOnce(model, state);

        AssertSeen(before, saved, state, actual, "model.Load(stream)");
        AssertBits(saved, model.Parameters.ToArray(), "the weights after Load");
    }

    [Fact]
    public void SgdStep_AfterBackward_IsSeenByTheNextStep()
    {
        const float lr = 0.5f;
        TModel model = TModel.Create(1);
        var sgd = new Sgd(model, lr); // before the snapshot: its constructor reads Parameters, which marks the copy stale
        float[] before = Snapshot(model);
        float[] state = Warm(model);
        float[] backwardState = (float[])state.Clone();
        model.Backward(backwardState, Inputs(WarmSteps, Steps), Targets(Steps));
        float[] gradients = model.Gradients.ToArray();
        Assert.Contains(gradients, g => g != 0f);

        sgd.Step();
        float[] actual = StepOnce(model, state);

        float[] after = new float[before.Length];
        for (int i = 0; i < after.Length; i++)
        {
            after[i] = before[i] - (lr * gradients[i]);
        }

        AssertSeen(before, after, state, actual, "new Sgd(model, lr).Step() after Backward");
    }

    [Fact]
    public void IndexerWrite_BeforeForward_IsSeenByForward()
    {
        (TModel model, float[] before, float[] after, float[] state) = WarmThenWrite();
        float[] inputs = Inputs(WarmSteps, Steps);

        float[] actual = Forward(model, state, inputs);

        float[] expected = Forward(Fresh(after), state, inputs);
        float[] stale = Forward(Fresh(before), state, inputs);
        AssertBits(expected, actual, "Forward right after the write");
        AssertDiffers(stale, expected, "Forward");
    }

    [Fact]
    public void IndexerWrite_BeforeWarmUp_IsSeenByWarmUp()
    {
        (TModel model, float[] before, float[] after, float[] state) = WarmThenWrite();
        float[] inputs = Inputs(WarmSteps, Steps);

        float[] actual = WarmUp(model, state, inputs);

        float[] expected = WarmUp(Fresh(after), state, inputs);
        float[] stale = WarmUp(Fresh(before), state, inputs);
        AssertBits(expected, actual, "the state after WarmUp right after the write");
        AssertDiffers(stale, expected, "WarmUp");
    }

    [Fact]
    public void IndexerWrite_BeforeBackward_IsSeenByItsLossAndGradients()
    {
        (TModel model, float[] before, float[] after, float[] state) = WarmThenWrite();
        float[] inputs = Inputs(WarmSteps, Steps);

        float[] actual = Backward(model, state, inputs);

        float[] expected = Backward(Fresh(after), state, inputs);
        float[] stale = Backward(Fresh(before), state, inputs);
        AssertBits(expected, actual, "[loss, gradients..., state...] of Backward right after the write");
        AssertDiffers(stale, expected, "Backward");
        Assert.NotEqual(stale[0], expected[0]); // the loss itself, not only the gradients
    }

    [Fact]
    public void IndexerWrite_BeforeBatchedBackward_IsSeenByItsLossAndGradients()
    {
        (TModel model, float[] before, float[] after, _) = WarmThenWrite();
        const int batch = 3;
        float[] inputs = Inputs(0, batch * Steps);
        float[] targets = Targets(batch);

        float actualLoss = model.Backward(inputs, targets, batch);
        float[] actual = [actualLoss, .. model.Gradients];

        TModel fresh = Fresh(after);
        float[] expected = [fresh.Backward(inputs, targets, batch), .. fresh.Gradients];
        TModel old = Fresh(before);
        float[] stale = [old.Backward(inputs, targets, batch), .. old.Gradients];
        AssertBits(expected, actual, "[loss, gradients...] of the batched Backward right after the write");
        Assert.NotEqual(stale[0], expected[0]);
    }

    /// <summary>
    /// Four threads make the first calls after a write at the same moment (each then steps on): whichever thread
    /// repacks, every one of them must see the complete new weights. Repeated over many writes, so that the
    /// threads arrive at the stale copy in many different interleavings.
    /// </summary>
    [Fact]
    public void FirstCallsAfterAWrite_FromFourThreadsAtOnce_MatchSerialRun()
    {
        const int threads = 4, rounds = 40, steps = 3;
        TModel model = TModel.Create(1);
        float[] weights = Snapshot(model);
        int[] probes = Probes();
        float[][] states = [.. Enumerable.Range(0, threads).Select(t => Warm(TModel.Create(20 + t)))];
        float[][] results = new float[threads][];
        Exception?[] failures = new Exception?[threads];
        var mismatches = new List<string>();
        using var barrier = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int thread = t;
            workers[t] = new Thread(() =>
            {
                for (int round = 0; round < rounds; round++)
                {
                    barrier.SignalAndWait();
                    try
                    {
                        results[thread] = Run(model, states[thread], thread, steps);
                    }
                    catch (Exception e)
                    {
                        failures[thread] ??= e;
                    }

                    barrier.SignalAndWait();
                }
            });
            workers[t].Start();
        }

        StepOnce(model, states[0]); // packed and in step before the first write
        for (int round = 0; round < rounds; round++)
        {
            int index = probes[round % probes.Length];
            weights[index] += round % 2 == 0 ? 0.5f : -0.25f;
            model.Parameters[index] = weights[index];

            barrier.SignalAndWait(TestContext.Current.CancellationToken); // the threads start their first calls after the write together
            barrier.SignalAndWait(TestContext.Current.CancellationToken); // and have all finished

            TModel serial = Fresh(weights);
            for (int t = 0; t < threads; t++)
            {
                float[] expected = Run(serial, states[t], t, steps);
                if (results[t] is null || !Bits(expected).SequenceEqual(Bits(results[t])))
                {
                    mismatches.Add($"round {round} (Parameters[{index}] = {Describe(index)} changed), thread {t}: " +
                        $"[{string.Join(", ", results[t] ?? [])}] vs serial [{string.Join(", ", expected)}]");
                }
            }
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        Assert.All(failures, f => Assert.Null(f));
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {rounds * threads} first calls after a write differ from a serial run:{Environment.NewLine}{string.Join(Environment.NewLine, mismatches.Take(5))}");
    }

    private static float[] Run(TModel model, float[] initialState, int thread, int steps)
    {
        float[] state = (float[])initialState.Clone();
        float[] output = new float[TModel.OutputSize];
        var trace = new List<float>();
        for (int s = 0; s < steps; s++)
        {
            model.Step(state, Input(10 + thread + s), output);
            trace.AddRange(output);
        }

        trace.AddRange(state);
        return [.. trace];
    }

    /// <summary>A model that has run (its packed copy built), then had a few weights changed through the indexer.</summary>
    private static (TModel Model, float[] Before, float[] After, float[] State) WarmThenWrite()
    {
        TModel model = TModel.Create(1);
        float[] before = Snapshot(model);
        float[] state = Warm(model);
        float[] after = (float[])before.Clone();
        foreach (int index in Probes().Where((_, i) => i % 4 == 1))
        {
            after[index] += 0.5f;
            model.Parameters[index] = after[index];
        }

        return (model, before, after, state);
    }

    private static float[] Forward(TModel model, float[] initialState, float[] inputs)
    {
        float[] state = (float[])initialState.Clone();
        float[] outputs = new float[inputs.Length / TModel.InputSize * TModel.OutputSize];
        model.Forward(state, inputs, outputs);
        return [.. outputs, .. state];
    }

    private static float[] WarmUp(TModel model, float[] initialState, float[] inputs)
    {
        float[] state = (float[])initialState.Clone();
        model.WarmUp(state, inputs);
        return state;
    }

    private static float[] Backward(TModel model, float[] initialState, float[] inputs)
    {
        float[] state = (float[])initialState.Clone();
        float loss = model.Backward(state, inputs, Targets(Steps));
        return [loss, .. model.Gradients, .. state];
    }

    /// <summary>
    /// The step made right after the write (<paramref name="actual"/>: outputs then state) equals that of a model given
    /// <paramref name="after"/> before it ever ran, and differs from that of one holding <paramref name="before"/>.
    /// </summary>
    private static void AssertSeen(float[] before, float[] after, float[] state, float[] actual, string route)
    {
        float[] expected = StepOnce(Fresh(after), state);
        float[] stale = StepOnce(Fresh(before), state);
        AssertBits(expected, actual, $"the step right after {route}");
        AssertDiffers(stale, expected, route);
    }

    private static void AssertDiffers(float[] stale, float[] expected, string route) =>
        Assert.False(Bits(stale).SequenceEqual(Bits(expected)), $"{route}: the old weights give the same result, so this case cannot tell a stale packed copy");

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int[] e = Bits(expected), a = Bits(actual);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(e[i] == a[i], $"{TModel.CellKind} H={TModel.HiddenSize}, {what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    private static void AssertClose(float expected, float actual, string what) =>
        Assert.True(MathF.Abs(expected - actual) <= 1e-5f, $"{TModel.CellKind}, zero weights: {what} is {actual:R}, expected {expected:R}");

    private static int[] Bits(float[] values) => MemoryMarshal.Cast<float, int>(values).ToArray();

    /// <summary>One step from a copy of <paramref name="initialState"/>: the outputs, then the new state.</summary>
    private static float[] StepOnce(TModel model, float[] initialState)
    {
        float[] state = (float[])initialState.Clone();
        float[] output = new float[TModel.OutputSize];
        model.Step(state, Input(WarmSteps), output);
        return [.. output, .. state];
    }

    /// <summary>Runs a few steps from zero so that every h (and c) is non-zero and the packed copy is built; returns the state.</summary>
    private static float[] Warm(TModel model)
    {
        float[] state = new float[TModel.StateLength];
        float[] output = new float[TModel.OutputSize];
        for (int t = 0; t < WarmSteps; t++)
        {
            model.Step(state, Input(t), output);
        }

        Assert.DoesNotContain(0f, state);
        return state;
    }

    /// <summary>A model that has never run, given <paramref name="weights"/>: its first call packs them.</summary>
    private static TModel Fresh(float[] weights)
    {
        TModel model = TModel.Create(99);
        weights.CopyTo(model.Parameters);
        return model;
    }

    private static float[] Snapshot(TModel model) => model.Parameters.ToArray();

    /// <summary>Inputs with no zero component, so that every input weight matters.</summary>
    private static float[] Input(int t) =>
        [.. Enumerable.Range(0, TModel.InputSize).Select(k => 0.6f + (0.35f * MathF.Sin((0.9f * t) + (1.7f * k))))];

    private static float[] Inputs(int first, int steps) =>
        [.. Enumerable.Range(first, steps).SelectMany(Input)];

    private static float[] Targets(int rows) =>
        [.. Enumerable.Range(0, rows * TModel.OutputSize).Select(i => MathF.Cos(0.7f * i))];

    /// <summary>The first, middle and last float of every tensor: each layer's weights, both biases (every gate's last unit
    /// among them, which sits next to the padding), and the head.</summary>
    private static int[] Probes()
    {
        var probes = new List<int>();
        foreach (ParameterInfo info in TModel.Layout)
        {
            probes.Add(info.Offset);
            probes.Add(info.Offset + (info.Length / 2));
            probes.Add(info.Offset + info.Length - 1);
        }

        return [.. probes.Distinct()];
    }

    private static string Describe(int index)
    {
        foreach (ParameterInfo info in TModel.Layout)
        {
            if (index >= info.Offset && index < info.Offset + info.Length)
            {
                return $"{info.Name}[{index - info.Offset}]";
            }
        }

        return "?";
    }
}
