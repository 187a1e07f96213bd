using System;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Stacks;

/// <summary>
/// Layer stacks beyond the PyTorch fixtures (Parity/StackParityTests): a finite-difference oracle computed from Forward's
/// outputs alone, zero allocation, compiled-in weights, the pair form equal to the one-attribute head, seeds, lengths.
/// </summary>
public sealed class StackTests
{
    private static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new System.Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>MSE over every step, in double, from the model's Forward outputs only: nothing of Backward is used.</summary>
    private static double ForwardLoss<T>(T model, float[] state0, float[] inputs, float[] targets)
        where T : IRecurrentModel<T>
    {
        var state = (float[])state0.Clone();
        var outputs = new float[targets.Length];
        model.Forward(state, inputs, outputs);
        double sum = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            double d = (double)outputs[i] - targets[i];
            sum += d * d;
        }

        return sum / outputs.Length;
    }

    /// <summary>
    /// Central differences of the Forward-only loss against Backward's gradient, tensor by tensor. Step 4e-3 in float32:
    /// the rounding noise of a loss of order 1 is ~1e-7 / 4e-3 ≈ 3e-5 and the truncation error (third derivatives of
    /// smooth functions) ~1e-5, so 3e-4 of absolute slack plus 2 % of the tensor's largest gradient covers both while a
    /// gradient off by a few percent, a dropped term or a cut recurrence (tens of percent here) fails.
    /// </summary>
    private static void CheckGradients<T>(int seed)
        where T : IRecurrentModel<T>
    {
        const int Steps = 7;
        T model = T.Create(seed);
        float[] state0 = Random(T.StateLength, seed + 1, 0.5f);
        float[] inputs = Random(Steps * T.InputSize, seed + 2, 1.5f);
        float[] targets = Random(Steps * T.OutputSize, seed + 3);

        model.ZeroGrad();
        model.Backward((float[])state0.Clone(), inputs, targets, Loss.Mse, LossOn.AllSteps);
        float[] analytic = model.Gradients.ToArray();

        const float Epsilon = 4e-3f;
        foreach (ParameterInfo tensor in T.Layout)
        {
            double scale = 0;
            for (int i = 0; i < tensor.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(analytic[tensor.Offset + i]));
            }

            Assert.True(scale > 1e-4, tensor.Name + ": the check needs a gradient to compare, largest is " + scale);
            for (int i = 0; i < tensor.Length; i++)
            {
                int at = tensor.Offset + i;
                float original = model.ParameterValues[at];
                model.Parameters[at] = original + Epsilon;
                double up = ForwardLoss(model, state0, inputs, targets);
                model.Parameters[at] = original - Epsilon;
                double down = ForwardLoss(model, state0, inputs, targets);
                model.Parameters[at] = original;
                double numeric = (up - down) / (2.0 * ((double)(original + Epsilon) - original));
                double error = Math.Abs(numeric - analytic[at]);
                Assert.True(error <= 3e-4 + 0.02 * scale,
                    FormattableString.Invariant($"{tensor.Name}[{i}]: Backward {analytic[at]:E4}, central difference {numeric:E4} (tensor scale {scale:E2})"));
            }
        }
    }

    [Fact]
    public void Backward_SmoothStack_MatchesCentralDifferencesOfForward() => CheckGradients<SmoothStack>(seed: 11);

    [Fact]
    public void Backward_FrontEnd_MatchesCentralDifferencesOfForward() => CheckGradients<FrontEnd>(seed: 12);

    [Fact]
    public void Backward_PerStepMlp_MatchesCentralDifferencesOfForward() => CheckGradients<PerStepMlp>(seed: 13);

    [Fact]
    public void Backward_ResidualStack_MatchesCentralDifferencesOfForward() => CheckGradients<ResidualStack>(seed: 14);

    [Fact]
    public void CompiledInWeights_EqualTheFileLoadedAtRunTime()
    {
        var embedded = new EmbeddedFrontEnd();
        var loaded = new EmbeddedFrontEnd(seed: 5);
        Assert.NotEqual(embedded.ParameterValues.ToArray(), loaded.ParameterValues.ToArray());
        loaded.Load(System.IO.Path.Combine(Fixture.Root, "stack", "frontend.weights.safetensors"));

        Assert.Equal(loaded.ParameterValues.ToArray(), embedded.ParameterValues.ToArray());
        float[] inputs = Random(10 * EmbeddedFrontEnd.InputSize, 8);
        float[] a = new float[10], b = new float[10];
        var sa = default(EmbeddedFrontEnd.State);
        var sb = default(EmbeddedFrontEnd.State);
        embedded.Forward(ref sa, inputs, a);
        loaded.Forward(ref sb, inputs, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void PairForm_NamesItsTensorsAsTheHeadForm_AndComputesTheSame()
    {
        Assert.Equal(HeadForm.Layout.ToArray().Select(t => (t.Name, t.Offset, string.Join(",", t.Shape))),
            PairForm.Layout.ToArray().Select(t => (t.Name, t.Offset, string.Join(",", t.Shape))));
        var head = new HeadForm(seed: 9);
        var pair = new PairForm(seed: 10);
        head.Parameters.CopyTo(pair.Parameters);
        float[] inputs = Random(12 * 2, 9);
        float[] targets = Random(12 * 3, 10);
        float[] a = new float[12 * 3], b = new float[12 * 3];
        var sa = default(HeadForm.State);
        var sb = default(PairForm.State);
        head.Forward(ref sa, inputs, a);
        pair.Forward(ref sb, inputs, b);
        Close.Elementwise(a, b, 1e-6, "outputs");

        sa = default;
        sb = default;
        float la = head.Backward(ref sa, inputs, targets.AsSpan(0, 10 * 3), Loss.Mse, LossOn.AllSteps, warmUp: 2);
        float lb = pair.Backward(ref sb, inputs, targets.AsSpan(0, 10 * 3), Loss.Mse, LossOn.AllSteps, warmUp: 2);
        Close.Elementwise([la], [lb], 1e-6, "loss");
        foreach (ParameterInfo tensor in HeadForm.Layout)
        {
            Close.Tensor(head.Gradients.Slice(tensor.Offset, tensor.Length), pair.Gradients.Slice(tensor.Offset, tensor.Length), 1e-5, tensor.Name);
        }

        Close.Elementwise(sa.Values, sb.Values, 1e-6, "final state");
    }

    [Fact]
    public void SameSeed_SameWeights_DifferentSeed_DifferentWeights_AndEachLayerHasItsPyTorchBound()
    {
        Assert.Equal(new Stack(seed: 4).ParameterValues.ToArray(), new Stack(seed: 4).ParameterValues.ToArray());
        Assert.NotEqual(new Stack(seed: 4).ParameterValues.ToArray(), new Stack(seed: 5).ParameterValues.ToArray());
        var model = new Stack(seed: 4);
        foreach (ParameterInfo tensor in Stack.Layout)
        {
            // GRU enc: 1/√16; GRU dec: 1/√8; fc1: 1/√8 (in_features); fc2: 1/√12.
            float bound = tensor.Name.StartsWith("enc.", StringComparison.Ordinal) ? 0.25f
                : tensor.Name.StartsWith("fc2.", StringComparison.Ordinal) ? 1f / MathF.Sqrt(12) : 1f / MathF.Sqrt(8);
            float largest = model.ParameterValues.Slice(tensor.Offset, tensor.Length).ToArray().Max(MathF.Abs);
            Assert.InRange(largest, 0.5f * bound, bound);
        }
    }

    [Fact]
    public void StateLayout_HiddenAndCell_CountRecurrentLayersThroughTheStack()
    {
        Assert.Equal(["lstm.h_l0", "lstm.c_l0", "lstm.h_l1", "lstm.c_l1"], FrontEnd.StateLayout.ToArray().Select(s => s.Name));
        Assert.Equal(2, FrontEnd.NumLayers);
        var state = default(FrontEnd.State);
        state.Hidden(1).Fill(1f);
        state.Cell(0).Fill(2f);
        float[] values = state.Values.ToArray();
        Assert.Equal(Enumerable.Repeat(2f, 20), values.Skip(20).Take(20));
        Assert.Equal(Enumerable.Repeat(1f, 20), values.Skip(40).Take(20));
        Assert.Throws<ArgumentOutOfRangeException>(() => default(FrontEnd.State).Hidden(2).Length);

        Assert.Equal(["enc.h_l0", "dec.h_l0"], Stack.StateLayout.ToArray().Select(s => s.Name));
        Assert.Equal(["rnn.h_l0", "top.h_l0", "top.c_l0"], MixedStack.StateLayout.ToArray().Select(s => s.Name));
        Assert.Throws<ArgumentOutOfRangeException>(() => default(MixedStack.State).Cell(0).Length);
        Assert.Equal(0, PerStepMlp.StateLength);
        Assert.Empty(PerStepMlp.StateLayout.ToArray());
    }

    [Fact]
    public void WrongLengths_ThrowNamingTheShape_AndChangeNothing()
    {
        var model = new Stack(seed: 1);
        var state = default(Stack.State);
        state.Hidden(0).Fill(0.5f);
        float[] before = state.Values.ToArray();
        float[] outputs = new float[4];

        ArgumentException input = Assert.Throws<ArgumentException>(() => model.Step(ref state, new float[2], outputs.AsSpan(0, 2)));
        Assert.Contains("input: expected 3 floats (shape [InputSize=3]), got 2", input.Message, StringComparison.Ordinal);
        ArgumentException output = Assert.Throws<ArgumentException>(() => model.Forward(ref state, new float[6], outputs.AsSpan(0, 3)));
        Assert.Contains("outputs: expected 4 floats (shape [T=2, OutputSize=2]), got 3", output.Message, StringComparison.Ordinal);
        ArgumentException targets = Assert.Throws<ArgumentException>(() => model.Backward(ref state, new float[6], new float[3]));
        Assert.Contains("targets: expected 4 floats", targets.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Step(new float[Stack.StateLength + 1], new float[3], outputs.AsSpan(0, 2)));
        Assert.Equal(before, state.Values.ToArray());
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Checkpoint_ResumedStackTraining_IsBitIdenticalToNotStopping()
    {
        float[] inputs = Random(4 * 10 * Stack.InputSize, 20);
        float[] targets = [0, 1, 1, 0];

        static void Train(Stack model, Optimizer optimizer, float[] inputs, float[] targets)
        {
            model.ZeroGrad();
            model.Backward(inputs, targets, 4, Loss.CrossEntropy, LossOn.LastStep);
            model.ClipGradNorm(1f);
            optimizer.Step();
        }

        var straight = new Stack(seed: 21);
        var straightAdam = new Adam(straight, 1e-2f);
        var first = new Stack(seed: 21);
        var firstAdam = new Adam(first, 1e-2f);
        for (int i = 0; i < 6; i++)
        {
            Train(straight, straightAdam, inputs, targets);
            if (i < 3)
            {
                Train(first, firstAdam, inputs, targets);
            }
        }

        var stream = new System.IO.MemoryStream();
        Checkpoint.Save(stream, first, firstAdam);
        var resumed = new Stack(seed: 22);
        var resumedAdam = new Adam(resumed, 1e-2f);
        stream.Position = 0;
        Checkpoint.Load(stream, resumed, resumedAdam);
        for (int i = 3; i < 6; i++)
        {
            Train(resumed, resumedAdam, inputs, targets);
        }

        Assert.Equal(straight.ParameterValues.ToArray(), resumed.ParameterValues.ToArray());
    }
}
