using System;
using System.Linq;
using Fixed.Engine;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>What the dropout tests call on every model besides <see cref="IRecurrentModel{TSelf}"/>.</summary>
public interface IDropoutModel
{
    /// <summary>The generated batched <c>Evaluate</c>.</summary>
    float Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss = Loss.Mse, LossOn on = LossOn.LastStep,
        int warmUp = 0, SequenceLayout layout = SequenceLayout.BatchFirst);

    /// <summary>The generated Backward over sequences of different lengths.</summary>
    float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths, Loss loss = Loss.Mse, LossOn on = LossOn.LastStep,
        SequenceLayout layout = SequenceLayout.BatchFirst);
}

/// <summary>A model with <c>Dropout</c> above 0: it has a seed.</summary>
public interface ISeededDropout : IDropoutModel
{
    ulong DropoutSeed { get; set; }
}

[Recurrent(2, 5, NumLayers = 2, OutputSize = 2, Dropout = 0)]
public partial class DropoutRnnP0 : IDropoutModel;

[Recurrent(2, 5, NumLayers = 3, OutputSize = 2, Dropout = 0.3)]
public partial class DropoutRnn3 : ISeededDropout;

[Recurrent(3, 4, Cell = Cell.Gru, NumLayers = 2, Dropout = 0.5)]
public partial class DropoutGru : ISeededDropout;

[Recurrent(2, 6, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 3, Dropout = 0.25)]
public partial class DropoutLstm2 : ISeededDropout;

[Recurrent(2, 4, Cell = Cell.Lstm, NumLayers = 3, OutputSize = 1, Dropout = 0.2)]
public partial class DropoutLstm3 : ISeededDropout;

[Recurrent(2, 5, Cell = Cell.Gru, NumLayers = 2, OutputSize = 2, Dropout = 0.4)]
public partial class DropoutGruWarm : ISeededDropout;

[Linear(2, 4, Name = "pre")]
[Tanh]
[Recurrent(4, 5, Cell = Cell.Lstm, NumLayers = 2, Name = "enc", Dropout = 0.3)]
[Recurrent(5, 3, Cell = Cell.Gru, Name = "dec")]
[Linear(3, 2, Name = "out")]
public partial class DropoutStack : ISeededDropout;

/// <summary>The LSTM's two layers as models of their own, for the finite-difference oracle.</summary>
[Recurrent(2, 6, Cell = Cell.Lstm)]
public partial class DropoutLstmBottom;

[Recurrent(6, 6, Cell = Cell.Lstm, OutputSize = 3)]
public partial class DropoutLstmTop;

/// <summary>
/// <c>Dropout</c> between stacked layers against PyTorch's modules in training mode (scripts/make_dropout_fixtures.py):
/// PyTorch's own masks, drawn again from its seed and checked by the script to be the module's, are injected
/// (<see cref="DropoutMask"/>'s test hook) so that the loss and every gradient must be PyTorch's, within 1e-5 and 1e-4 of the
/// tensor's scale as <see cref="Parity.GradientParityTests"/> (float32 BPTT sums in another order); Forward and Evaluate must
/// be PyTorch's eval mode. The hash masks themselves are checked by <see cref="Kernels.DropoutMaskTests"/>.
/// </summary>
public sealed class DropoutTests
{
    private static readonly string[] Cases =
    [
        "rnn_i2_h5_l2_o2_b3_p0",
        "rnn_i2_h5_l3_o2_b3_p30_all",
        "gru_i3_h4_l2_o0_b5_p50_last_tf",
        "lstm_i2_h6_l2_o3_b1_p25_all",
        "lstm_i2_h4_l3_o1_b4_p20_last",
        "gru_i2_h5_l2_o2_b2_p40_all_k2",
        "stack_enc_p30_b3_last",
        "stack_enc_p30_b1_all",
    ];

    public static TheoryData<string> Names => new(Cases);

    /// <summary>Every case through the batched Backward, and those without warm-up (which it has none) through the lengths Backward at full lengths.</summary>
    public static TheoryData<string, Path> Paths => new(
        Cases.Select(name => (name, Path.Batched))
            .Concat(Cases.Where(name => !name.EndsWith("_k2", StringComparison.Ordinal)).Select(name => (name, Path.Lengths))));

    [Theory]
    [MemberData(nameof(Paths))]
    public void Backward_PyTorchsMasks_MatchesPyTorchLossAndGradients(string name, Path path)
    {
        Fixture fixture = Fixture.Open("dropout", name);
        (float loss, float[] gradients, ParameterInfo[] layout) = Dispatch(name, new Runner(fixture, path));

        Close.Elementwise(fixture.Tensor("loss"), [loss], 1e-5, name + " loss");
        AssertGradients(fixture, gradients, layout, name);
    }

    [Fact]
    public void SingleSequenceBackward_PyTorchsMasks_MatchesPyTorch()
    {
        SingleSequence<DropoutLstm2>("lstm_i2_h6_l2_o3_b1_p25_all");
        SingleSequence<DropoutStack>("stack_enc_p30_b1_all");
    }

    private static void SingleSequence<TModel>(string name)
        where TModel : IRecurrentModel<TModel>
    {
        Fixture fixture = Fixture.Open("dropout", name);
        TModel model = TModel.Create(0);
        model.Load(fixture.WeightsPath);
        float loss;
        using (DropoutMask.Inject(fixture.Tensor("mask"), fixture.Int("seq_len")))
        {
            loss = model.Backward(new float[TModel.StateLength], fixture.Tensor("input"), fixture.Tensor("targets"), Loss.Mse, LossOn.AllSteps);
        }

        Close.Elementwise(fixture.Tensor("loss"), [loss], 1e-5, name + " loss");
        AssertGradients(fixture, model.Gradients.ToArray(), TModel.Layout.ToArray(), name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardAndEvaluate_AreEvalMode_MatchPyTorchsEval(string name)
    {
        Fixture fixture = Fixture.Open("dropout", name);
        (float evaluated, float[] outputs) = name switch
        {
            "rnn_i2_h5_l2_o2_b3_p0" => EvalMode<DropoutRnnP0>(fixture),
            "rnn_i2_h5_l3_o2_b3_p30_all" => EvalMode<DropoutRnn3>(fixture),
            "gru_i3_h4_l2_o0_b5_p50_last_tf" => EvalMode<DropoutGru>(fixture),
            "lstm_i2_h6_l2_o3_b1_p25_all" => EvalMode<DropoutLstm2>(fixture),
            "lstm_i2_h4_l3_o1_b4_p20_last" => EvalMode<DropoutLstm3>(fixture),
            "gru_i2_h5_l2_o2_b2_p40_all_k2" => EvalMode<DropoutGruWarm>(fixture),
            "stack_enc_p30_b3_last" or "stack_enc_p30_b1_all" => EvalMode<DropoutStack>(fixture),
            _ => throw new ArgumentException(name),
        };

        Close.Elementwise(fixture.Tensor("eval_loss"), [evaluated], 1e-5, name + " eval loss");
        Close.Elementwise(fixture.Tensor("forward_output"), outputs, 1e-5, name + " forward");
    }

    /// <summary>At p = 0 nothing is dropped: the model needs no masks, and its training loss is its eval loss, as PyTorch's.</summary>
    [Fact]
    public void ZeroDropout_WithoutInjectedMasks_MatchesPyTorch()
    {
        Fixture fixture = Fixture.Open("dropout", "rnn_i2_h5_l2_o2_b3_p0");
        var model = new DropoutRnnP0();
        model.Load(fixture.WeightsPath);
        float loss = model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("batch"), Loss.Mse, LossOn.AllSteps);

        Close.Elementwise(fixture.Tensor("loss"), [loss], 1e-5, "p = 0 loss");
        Assert.Equal(fixture.Tensor("loss")[0], fixture.Tensor("eval_loss")[0]);
        AssertGradients(fixture, model.Gradients.ToArray(), DropoutRnnP0.Layout.ToArray(), "p = 0");
        Assert.Null(typeof(DropoutRnnP0).GetProperty("DropoutSeed"));
    }

    /// <summary>
    /// Second oracle: the gradients Backward computes through a fixed mask against central differences of a loss this test
    /// computes in double from the public Forward of the two layers as models of their own, the bottom layer's outputs
    /// multiplied by PyTorch's mask on the way up (as FiniteDifferenceTests, extrapolated; tolerance 2e-3 of the tensor's
    /// largest gradient plus 2e-5).
    /// </summary>
    [Fact]
    public void Backward_FixedMask_MatchesFiniteDifferencesOfTheLayersRunSeparately()
    {
        Fixture fixture = Fixture.Open("dropout", "lstm_i2_h6_l2_o3_b1_p25_all");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        float[] mask = fixture.Tensor("mask");
        int steps = fixture.Int("seq_len");
        var model = new DropoutLstm2();
        model.Load(fixture.WeightsPath);
        using (DropoutMask.Inject(mask, steps))
        {
            model.Backward(inputs, targets, 1, Loss.Mse, LossOn.AllSteps);
        }

        float[] analytic = model.Gradients.ToArray();
        float[] parameters = model.Parameters.ToArray();
        var bottom = new DropoutLstmBottom();
        var top = new DropoutLstmTop();
        double LossOf(float[] p)
        {
            p.AsSpan(0, DropoutLstmBottom.ParameterCount).CopyTo(bottom.Parameters);
            p.AsSpan(DropoutLstmBottom.ParameterCount).CopyTo(top.Parameters);
            var hidden = new float[steps * 6];
            var outputs = new float[steps * 3];
            DropoutLstmBottom.State lower = default;
            DropoutLstmTop.State upper = default;
            bottom.Forward(ref lower, inputs, hidden);
            for (int i = 0; i < hidden.Length; i++)
            {
                hidden[i] *= mask[i];
            }

            top.Forward(ref upper, hidden, outputs);
            double sum = 0;
            for (int i = 0; i < outputs.Length; i++)
            {
                double d = (double)outputs[i] - targets[i];
                sum += d * d;
            }

            return sum / outputs.Length;
        }

        Assert.Equal(DropoutLstm2.ParameterCount, DropoutLstmBottom.ParameterCount + DropoutLstmTop.ParameterCount);
        double Quotient(int i, double h)
        {
            float[] p = (float[])parameters.Clone();
            p[i] = (float)(parameters[i] + h);
            float plus = p[i];
            double up = LossOf(p);
            p[i] = (float)(parameters[i] - h);
            float minus = p[i];
            return (up - LossOf(p)) / ((double)plus - minus);
        }

        foreach (ParameterInfo info in DropoutLstm2.Layout)
        {
            var numeric = new float[info.Length];
            for (int k = 0; k < info.Length; k++)
            {
                int i = info.Offset + k;
                numeric[k] = (float)(((4 * Quotient(i, 1e-2)) - Quotient(i, 2e-2)) / 3);
            }

            ReadOnlySpan<float> expected = analytic.AsSpan(info.Offset, info.Length);
            double scale = 0;
            foreach (float g in expected)
            {
                scale = Math.Max(scale, Math.Abs(g));
            }

            Assert.True(scale > 1e-3, info.Name + " has no gradient to check");
            for (int k = 0; k < info.Length; k++)
            {
                Assert.True(Math.Abs(numeric[k] - expected[k]) <= (2e-3 * scale) + 2e-5,
                    $"{info.Name}[{k}]: Backward {expected[k]}, finite differences {numeric[k]}");
            }
        }
    }

    [Fact]
    public void Backward_SameSeed_SameGradientsBitForBit_OtherSeedOrNextCall_Different()
    {
        Fixture fixture = Fixture.Open("dropout", "gru_i3_h4_l2_o0_b5_p50_last_tf");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        float[] Run(DropoutGru model)
        {
            model.ZeroGrad();
            model.Backward(inputs, targets, 5, Loss.Huber, LossOn.LastStep, layout: SequenceLayout.TimeFirst);
            return model.Gradients.ToArray();
        }

        var first = new DropoutGru(seed: 3) { DropoutSeed = 42 };
        var second = new DropoutGru(seed: 3) { DropoutSeed = 42 };
        float[][] a = [Run(first), Run(first), Run(first)];
        float[][] b = [Run(second), Run(second), Run(second)];
        second.DropoutSeed = 42;
        float[] restarted = Run(second);
        second.DropoutSeed = 43;
        float[] other = Run(second);

        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i], b[i]);
        }

        Assert.Equal(a[0], restarted);
        Assert.NotEqual(a[0], a[1]);
        Assert.NotEqual(a[1], a[2]);
        Assert.NotEqual(a[0], other);
        Assert.Equal(42ul, first.DropoutSeed);
        Assert.Equal(0ul, new DropoutGru().DropoutSeed);
    }

    /// <summary>A call whose arguments are refused changes nothing: not the gradients, and not the place in the mask stream.</summary>
    [Fact]
    public void Backward_RefusedArguments_LeaveTheMaskStreamWhereItWas()
    {
        Fixture fixture = Fixture.Open("dropout", "lstm_i2_h4_l3_o1_b4_p20_last");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        var refused = new DropoutLstm3(seed: 5);
        var plain = new DropoutLstm3(seed: 5);

        Assert.Throws<ArgumentException>(() => refused.Backward(inputs, targets.AsSpan(1).ToArray(), 4));
        Assert.Throws<ArgumentException>(() => refused.Backward(inputs, targets, new[] { 5, 5, 5, 9 }));
        Assert.All(refused.Gradients.ToArray(), g => Assert.Equal(0f, g));
        refused.Backward(inputs, targets, 4);
        plain.Backward(inputs, targets, 4);

        Assert.Equal(plain.Gradients.ToArray(), refused.Gradients.ToArray());
    }

    /// <summary>
    /// The masks are indexed by sequence and step, not by the path that runs them: the batched Backward (groups of four, then
    /// one alone) and the lengths Backward at full lengths (one by one) draw the same masks from the same seed.
    /// </summary>
    [Fact]
    public void LengthsAndBatchedBackward_SameSeed_SameMasks()
    {
        Fixture fixture = Fixture.Open("dropout", "gru_i3_h4_l2_o0_b5_p50_last_tf");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        var batched = new DropoutGru(seed: 9) { DropoutSeed = 7 };
        var lengths = new DropoutGru(seed: 9) { DropoutSeed = 7 };

        float a = batched.Backward(inputs, targets, 5, Loss.Huber, LossOn.LastStep, layout: SequenceLayout.TimeFirst);
        float b = lengths.Backward(inputs, targets, new[] { 5, 5, 5, 5, 5 }, Loss.Huber, LossOn.LastStep, SequenceLayout.TimeFirst);

        Close.Elementwise([a], [b], 1e-6, "loss");
        Close.Tensor(batched.Gradients.ToArray(), lengths.Gradients.ToArray(), 1e-6, "gradients");
        Assert.NotEqual(batched.Evaluate(inputs, targets, 5, Loss.Huber, LossOn.LastStep, layout: SequenceLayout.TimeFirst), a);
    }

    [Fact]
    public void Backward_WithDropout_AllocatesNothing()
    {
        Fixture fixture = Fixture.Open("dropout", "gru_i3_h4_l2_o0_b5_p50_last_tf");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        var model = new DropoutGru();
        int[] lengths = [5, 4, 3, 5, 2];
        float[] single = inputs.AsSpan(0, 5 * 3).ToArray();
        float[] singleTargets = new float[5 * 4];
        model.Backward(inputs, targets, 5, Loss.Huber, LossOn.LastStep, layout: SequenceLayout.TimeFirst);
        model.Backward(inputs, targets, lengths, Loss.Huber, LossOn.LastStep, SequenceLayout.TimeFirst);
        DropoutGru.State state = default;
        model.Backward(ref state, single, singleTargets);

        SteadyAllocation.AssertNone("batched Backward with dropout", 200, () => model.Backward(inputs, targets, 5, Loss.Huber, LossOn.LastStep, layout: SequenceLayout.TimeFirst));
        SteadyAllocation.AssertNone("lengths Backward with dropout", 200, () => model.Backward(inputs, targets, lengths, Loss.Huber, LossOn.LastStep, SequenceLayout.TimeFirst));
        SteadyAllocation.AssertNone("single-sequence Backward with dropout", 200, () =>
        {
            DropoutGru.State s = default;
            model.Backward(ref s, single, singleTargets);
        });
    }

    /// <summary>A layer stack's seed: the same reproduces its gradients bit for bit, another changes them; it allocates nothing.</summary>
    [Fact]
    public void StackBackward_SameSeedSameGradients_OtherSeedDifferent_AllocatesNothing()
    {
        Fixture fixture = Fixture.Open("dropout", "stack_enc_p30_b3_last");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        float[] Run(DropoutStack model, ulong seed)
        {
            model.ZeroGrad();
            model.DropoutSeed = seed;
            model.Backward(inputs, targets, 3);
            return model.Gradients.ToArray();
        }

        var model = new DropoutStack(seed: 4);
        float[] a = Run(model, 42);
        float[] again = Run(new DropoutStack(seed: 4), 42);
        float[] other = Run(model, 43);

        Assert.Equal(a, again);
        Assert.NotEqual(a, other);
        Assert.Equal(43ul, model.DropoutSeed);
        SteadyAllocation.AssertNone("stack Backward with dropout", 200, () => model.Backward(inputs, targets, 3));
    }

    private static void AssertGradients(Fixture fixture, float[] gradients, ParameterInfo[] layout, string name)
    {
        foreach (ParameterInfo info in layout)
        {
            Close.Tensor(fixture.Tensor("grad." + info.Name), gradients.AsSpan(info.Offset, info.Length), 1e-4, name + " grad." + info.Name);
        }
    }

    private static (float Loss, float[] Gradients, ParameterInfo[] Layout) Dispatch(string name, Runner runner) => name switch
    {
        "rnn_i2_h5_l2_o2_b3_p0" => runner.Run<DropoutRnnP0>(),
        "rnn_i2_h5_l3_o2_b3_p30_all" => runner.Run<DropoutRnn3>(),
        "gru_i3_h4_l2_o0_b5_p50_last_tf" => runner.Run<DropoutGru>(),
        "lstm_i2_h6_l2_o3_b1_p25_all" => runner.Run<DropoutLstm2>(),
        "lstm_i2_h4_l3_o1_b4_p20_last" => runner.Run<DropoutLstm3>(),
        "gru_i2_h5_l2_o2_b2_p40_all_k2" => runner.Run<DropoutGruWarm>(),
        "stack_enc_p30_b3_last" or "stack_enc_p30_b1_all" => runner.Run<DropoutStack>(),
        _ => throw new ArgumentException(name),
    };

    private static (float Evaluated, float[] Outputs) EvalMode<TModel>(Fixture fixture)
        where TModel : IRecurrentModel<TModel>, IDropoutModel
    {
        TModel model = TModel.Create(0);
        model.Load(fixture.WeightsPath);
        (Loss loss, LossOn on, SequenceLayout layout) = Options(fixture);
        float evaluated = model.Evaluate(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("batch"), loss, on, fixture.Int("warmup"), layout);
        int steps = fixture.Int("seq_len");
        float[] inputs = fixture.Tensor("input");
        var first = new float[steps * TModel.InputSize];
        for (int t = 0; t < steps; t++)
        {
            int row = layout == SequenceLayout.TimeFirst ? t * fixture.Int("batch") : t;
            inputs.AsSpan(row * TModel.InputSize, TModel.InputSize).CopyTo(first.AsSpan(t * TModel.InputSize));
        }

        var outputs = new float[steps * TModel.OutputSize];
        model.Forward(new float[TModel.StateLength], first, outputs);
        return (evaluated, outputs);
    }

    private static (Loss Loss, LossOn On, SequenceLayout Layout) Options(Fixture fixture) =>
        (fixture.Text("loss") == "huber" ? Loss.Huber : Loss.Mse,
         fixture.Text("loss_on") == "last" ? LossOn.LastStep : LossOn.AllSteps,
         fixture.Text("layout") == "time_first" ? SequenceLayout.TimeFirst : SequenceLayout.BatchFirst);

    public enum Path
    {
        Batched,
        Lengths,
    }

    /// <summary>One fixture's batch through one of the Backward overloads, with PyTorch's masks injected.</summary>
    private readonly struct Runner(Fixture fixture, Path path)
    {
        public (float Loss, float[] Gradients, ParameterInfo[] Layout) Run<TModel>()
            where TModel : IRecurrentModel<TModel>, IDropoutModel
        {
            TModel model = TModel.Create(0);
            model.Load(fixture.WeightsPath);
            (Loss loss, LossOn on, SequenceLayout layout) = Options(fixture);
            int batch = fixture.Int("batch");
            int warmUp = fixture.Int("warmup");
            float value;
            using (DropoutMask.Inject(fixture.Tensor("mask"), fixture.Int("seq_len") - warmUp))
            {
                value = path == Path.Batched
                    ? model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), batch, loss, on, warmUp, layout)
                    : model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), Enumerable.Repeat(fixture.Int("seq_len"), batch).ToArray(), loss, on, layout);
            }

            return (value, model.Gradients.ToArray(), TModel.Layout.ToArray());
        }
    }
}
