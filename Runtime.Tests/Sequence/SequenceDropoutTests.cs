using System;
using System.Linq;
using Fixed.Engine;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Sequence;

/// <summary>A <c>ProjSize</c>/<c>Bidirectional</c> model with <c>Dropout</c> above 0: it has a seed.</summary>
public interface ISeededSequenceModel : ISequenceModel
{
    ulong DropoutSeed { get; set; }
}

// The models of scripts/make_dropout_fixtures.py's SEQUENCE_CASES (sizes as there).

[Recurrent(3, 6, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 3, Bidirectional = true, OutputSize = 2, Dropout = 0.2, Window = 8)]
public partial class DropoutLstmBiProj : ISeededSequenceModel;

[Recurrent(2, 5, Cell = Cell.Gru, NumLayers = 3, Bidirectional = true, Dropout = 0.4, Window = 8)]
public partial class DropoutGruBi3 : ISeededSequenceModel;

[Recurrent(2, 4, NumLayers = 2, Bidirectional = true, OutputSize = 2, Dropout = 0.3, Window = 8)]
public partial class DropoutRnnBi : ISeededSequenceModel;

[Recurrent(2, 6, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 4, OutputSize = 1, Dropout = 0.25, Window = 8)]
public partial class DropoutLstmProj : ISeededSequenceModel;

[Recurrent(2, 4, Cell = Cell.Lstm, NumLayers = 2, Bidirectional = true, OutputSize = 2, Dropout = 0, Window = 8)]
public partial class DropoutLstmBiP0 : ISequenceModel;

/// <summary>DropoutRnnBi's two layers as models of their own, for the finite-difference oracle.</summary>
[Recurrent(2, 4, Bidirectional = true, Window = 8)]
public partial class DropoutRnnBiBottom;

[Recurrent(8, 4, Bidirectional = true, OutputSize = 2, Window = 8)]
public partial class DropoutRnnBiTop;

/// <summary>For the mask-rate test: ReLU, so that a unit's output is its masked input (see <see cref="SequenceDropoutTests.KeptFraction_IsOneMinusP_AndTheKeptUnitsAreScaled"/>).</summary>
[Recurrent(1, 64, NumLayers = 2, Bidirectional = true, Nonlinearity = Nonlinearity.Relu, Dropout = 0.3, Window = 32)]
public partial class DropoutRateProbe;

/// <summary>
/// <c>Dropout</c> between the stacked layers of <c>ProjSize</c> and <c>Bidirectional</c> models, against PyTorch's modules in
/// training mode (scripts/make_dropout_fixtures.py, SEQUENCE_CASES): PyTorch's own masks, drawn again by the script and
/// checked to be the module's, are injected (<see cref="DropoutMask"/>'s test hook; a bidirectional layer's mask covers its
/// whole <c>[forward, reverse]</c> output, as PyTorch drops it), so the loss and every gradient must be PyTorch's, within
/// 1e-5 and 1e-4 of the tensor's scale as in <see cref="Training.DropoutTests"/>; Forward and Evaluate must be PyTorch's eval mode.
/// </summary>
public sealed class SequenceDropoutTests
{
    private static readonly string[] Cases =
    [
        "lstm_bi_proj_i3_h6_p3_l2_o2_b3_p20_all",
        "gru_bi_i2_h5_l3_o0_b2_p40_last_tf",
        "rnn_bi_i2_h4_l2_o2_b1_p30_all",
        "lstm_proj_i2_h6_p4_l2_o1_b4_p25_last_k2",
        "lstm_bi_i2_h4_l2_o2_b3_p0",
    ];

    public static TheoryData<string> Names => new(Cases);

    /// <summary>Every case through the batched Backward, and those without warm-up through the lengths Backward at full lengths.</summary>
    public static TheoryData<string, bool> Paths => new(
        Cases.Select(name => (name, false)).Concat(Cases.Where(name => !name.EndsWith("_k2", StringComparison.Ordinal)).Select(name => (name, true))));

    private static ISequenceModel Create(string name) => name switch
    {
        "lstm_bi_proj_i3_h6_p3_l2_o2_b3_p20_all" => new DropoutLstmBiProj(),
        "gru_bi_i2_h5_l3_o0_b2_p40_last_tf" => new DropoutGruBi3(),
        "rnn_bi_i2_h4_l2_o2_b1_p30_all" => new DropoutRnnBi(),
        "lstm_proj_i2_h6_p4_l2_o1_b4_p25_last_k2" => new DropoutLstmProj(),
        "lstm_bi_i2_h4_l2_o2_b3_p0" => new DropoutLstmBiP0(),
        _ => throw new ArgumentException(name),
    };

    private static ParameterInfo[] Layout(ISequenceModel model) => model switch
    {
        DropoutLstmBiProj => DropoutLstmBiProj.Layout.ToArray(),
        DropoutGruBi3 => DropoutGruBi3.Layout.ToArray(),
        DropoutRnnBi => DropoutRnnBi.Layout.ToArray(),
        DropoutLstmProj => DropoutLstmProj.Layout.ToArray(),
        DropoutLstmBiP0 => DropoutLstmBiP0.Layout.ToArray(),
        _ => throw new ArgumentException(model.GetType().Name),
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Backward_PyTorchsMasks_MatchesPyTorchLossAndGradients(string name, bool lengths)
    {
        Fixture fixture = Fixture.Open("dropout", name);
        ISequenceModel model = Create(name);
        model.Load(fixture.WeightsPath);
        (Loss loss, LossOn on, SequenceLayout layout) = Options(fixture);
        int batch = fixture.Int("batch");
        int warmUp = fixture.Int("warmup");
        float value;
        using (DropoutMask.Inject(fixture.Tensor("mask"), fixture.Int("seq_len") - warmUp))
        {
            value = lengths
                ? model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), Enumerable.Repeat(fixture.Int("seq_len"), batch).ToArray(), loss, on, layout)
                : model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), batch, loss, on, warmUp, layout);
        }

        Close.Elementwise(fixture.Tensor("loss"), [value], 1e-5, name + " loss");
        AssertGradients(fixture, model, name);
    }

    [Fact]
    public void SingleSequenceBackward_PyTorchsMasks_MatchesPyTorch()
    {
        const string Name = "rnn_bi_i2_h4_l2_o2_b1_p30_all";
        Fixture fixture = Fixture.Open("dropout", Name);
        var model = new DropoutRnnBi();
        model.Load(fixture.WeightsPath);
        float loss;
        using (DropoutMask.Inject(fixture.Tensor("mask"), fixture.Int("seq_len")))
        {
            loss = model.Backward(new float[DropoutRnnBi.StateLength], fixture.Tensor("input"), fixture.Tensor("targets"), Loss.Mse, LossOn.AllSteps);
        }

        Close.Elementwise(fixture.Tensor("loss"), [loss], 1e-5, Name + " loss");
        AssertGradients(fixture, model, Name);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardAndEvaluate_AreEvalMode_MatchPyTorchsEval(string name)
    {
        Fixture fixture = Fixture.Open("dropout", name);
        ISequenceModel model = Create(name);
        model.Load(fixture.WeightsPath);
        (Loss loss, LossOn on, SequenceLayout layout) = Options(fixture);
        int batch = fixture.Int("batch");
        int steps = fixture.Int("seq_len");
        float evaluated = model.Evaluate(fixture.Tensor("input"), fixture.Tensor("targets"), batch, loss, on, fixture.Int("warmup"), layout);

        float[] inputs = fixture.Tensor("input");
        float[] expected = fixture.Tensor("forward_output");
        int inputSize = inputs.Length / (batch * steps);
        var first = new float[steps * inputSize];
        for (int t = 0; t < steps; t++)
        {
            int row = layout == SequenceLayout.TimeFirst ? t * batch : t;
            inputs.AsSpan(row * inputSize, inputSize).CopyTo(first.AsSpan(t * inputSize));
        }

        var outputs = new float[expected.Length];
        model.Forward(new float[StateLength(model)], first, outputs);

        Close.Elementwise(fixture.Tensor("eval_loss"), [evaluated], 1e-5, name + " eval loss");
        Close.Elementwise(expected, outputs, 1e-5, name + " forward");
    }

    /// <summary>At p = 0 nothing is dropped: no masks are needed, the training loss is the eval loss, and there is no seed.</summary>
    [Fact]
    public void ZeroDropout_WithoutInjectedMasks_MatchesPyTorch()
    {
        const string Name = "lstm_bi_i2_h4_l2_o2_b3_p0";
        Fixture fixture = Fixture.Open("dropout", Name);
        var model = new DropoutLstmBiP0();
        model.Load(fixture.WeightsPath);
        float loss = model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("batch"), Loss.Mse, LossOn.AllSteps);

        Close.Elementwise(fixture.Tensor("loss"), [loss], 1e-5, "p = 0 loss");
        Assert.Equal(fixture.Tensor("loss")[0], fixture.Tensor("eval_loss")[0]);
        AssertGradients(fixture, model, "p = 0");
        Assert.Null(typeof(DropoutLstmBiP0).GetProperty("DropoutSeed"));
    }

    /// <summary>
    /// Second oracle: the gradients Backward computes through a fixed mask against central differences of a loss computed
    /// here in double from the public Forward of the two bidirectional layers as models of their own, the bottom layer's
    /// <c>[forward, reverse]</c> outputs multiplied by PyTorch's mask on the way up (Richardson-extrapolated as in
    /// <see cref="Training.DropoutTests"/>; tolerance 2e-3 of the tensor's largest gradient plus 2e-5).
    /// </summary>
    [Fact]
    public void Backward_FixedMask_MatchesFiniteDifferencesOfTheLayersRunSeparately()
    {
        Fixture fixture = Fixture.Open("dropout", "rnn_bi_i2_h4_l2_o2_b1_p30_all");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        float[] mask = fixture.Tensor("mask");
        int steps = fixture.Int("seq_len");
        var model = new DropoutRnnBi();
        model.Load(fixture.WeightsPath);
        using (DropoutMask.Inject(mask, steps))
        {
            model.Backward(inputs, targets, 1, Loss.Mse, LossOn.AllSteps);
        }

        float[] analytic = model.Gradients.ToArray();
        float[] parameters = model.Parameters.ToArray();
        var bottom = new DropoutRnnBiBottom();
        var top = new DropoutRnnBiTop();
        Assert.Equal(DropoutRnnBi.ParameterCount, DropoutRnnBiBottom.ParameterCount + DropoutRnnBiTop.ParameterCount);
        double LossOf(float[] p)
        {
            p.AsSpan(0, DropoutRnnBiBottom.ParameterCount).CopyTo(bottom.Parameters);
            p.AsSpan(DropoutRnnBiBottom.ParameterCount).CopyTo(top.Parameters);
            var hidden = new float[steps * DropoutRnnBiBottom.OutputSize];
            var outputs = new float[steps * DropoutRnnBiTop.OutputSize];
            bottom.Forward(new float[DropoutRnnBiBottom.StateLength], inputs, hidden);
            for (int i = 0; i < hidden.Length; i++)
            {
                hidden[i] *= mask[i];
            }

            top.Forward(new float[DropoutRnnBiTop.StateLength], hidden, outputs);
            double sum = 0;
            for (int i = 0; i < outputs.Length; i++)
            {
                double d = (double)outputs[i] - targets[i];
                sum += d * d;
            }

            return sum / outputs.Length;
        }

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

        foreach (ParameterInfo info in DropoutRnnBi.Layout)
        {
            ReadOnlySpan<float> expected = analytic.AsSpan(info.Offset, info.Length);
            double scale = 0;
            foreach (float g in expected)
            {
                scale = Math.Max(scale, Math.Abs(g));
            }

            Assert.True(scale > 1e-3, info.Name + " has no gradient to check");
            for (int k = 0; k < info.Length; k++)
            {
                int i = info.Offset + k;
                double numeric = ((4 * Quotient(i, 1e-2)) - Quotient(i, 2e-2)) / 3;
                Assert.True(Math.Abs(numeric - expected[k]) <= (2e-3 * scale) + 2e-5,
                    $"{info.Name}[{k}]: Backward {expected[k]}, finite differences {numeric}");
            }
        }
    }

    /// <summary>
    /// The masks the engine draws itself (no injection), observed through the loss: bottom layer h = relu(0.5) = 0.5 for
    /// every unit and step (zero weights, bias 0.5), top layer's direction d passing unit j of its direction's half of the
    /// masked input straight through (<c>weight_ih</c> a 0/1 selection, zero <c>weight_hh</c> and biases, ReLU). So each of the
    /// 128 outputs of each step is one mask's multiplier times 0.5, and the MSE against zero targets is
    /// kept · (0.5 / (1 - p))². Over 64 sequences × 32 steps × 128 units per call, the kept fraction must be 1 - p within
    /// five standard deviations (each call and seed), and the mean of the squared outputs 0.25 / (1 - p): the kept units
    /// are scaled by 1 / (1 - p). Evaluate (eval mode) gives exactly 0.25.
    /// </summary>
    [Fact]
    public void KeptFraction_IsOneMinusP_AndTheKeptUnitsAreScaled()
    {
        const int Hidden = 64, Steps = 32, Batch = 64;
        const double P = 0.3;
        var model = new DropoutRateProbe();
        model.Parameters.Clear();
        Span<float> parameters = model.Parameters;
        foreach (ParameterInfo info in DropoutRateProbe.Layout)
        {
            Span<float> tensor = parameters.Slice(info.Offset, info.Length);
            if (info.Name.StartsWith("rnn.bias_ih_l0", StringComparison.Ordinal))
            {
                tensor.Fill(0.5f);
            }
            else if (info.Name == "rnn.weight_ih_l1" || info.Name == "rnn.weight_ih_l1_reverse")
            {
                int half = info.Name.EndsWith("_reverse", StringComparison.Ordinal) ? Hidden : 0;
                for (int g = 0; g < Hidden; g++)
                {
                    tensor[(g * 2 * Hidden) + half + g] = 1f;
                }
            }
        }

        float[] inputs = new float[Batch * Steps];
        float[] targets = new float[Batch * Steps * 2 * Hidden];
        Assert.Equal(0.25f, model.Evaluate(inputs, targets, Batch, Loss.Mse, LossOn.AllSteps));

        double draws = (double)Batch * Steps * 2 * Hidden;
        double sigma = Math.Sqrt(P * (1 - P) / draws);
        double scale = 0.5 / (1 - (float)P);
        foreach (ulong seed in new ulong[] { 0, 1, 12345 })
        {
            model.DropoutSeed = seed;
            for (int call = 0; call < 3; call++)
            {
                double loss = model.Backward(inputs, targets, Batch, Loss.Mse, LossOn.AllSteps);
                double kept = loss / (scale * scale);
                Assert.True(Math.Abs(kept - (1 - P)) <= 5 * sigma, $"seed {seed}, call {call}: kept {kept:F5} of the units, expected {1 - P} ± {5 * sigma:F5}");
                Assert.True(Math.Abs(loss - (0.25 / (1 - P))) <= 5 * sigma * scale * scale, $"seed {seed}, call {call}: mean squared output {loss:F5}");
            }
        }
    }

    [Fact]
    public void Backward_SameSeed_SameGradientsBitForBit_OtherSeedOrNextCall_Different()
    {
        Fixture fixture = Fixture.Open("dropout", "lstm_bi_proj_i3_h6_p3_l2_o2_b3_p20_all");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        float[] Run(DropoutLstmBiProj model)
        {
            model.ZeroGrad();
            model.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps);
            return model.Gradients.ToArray();
        }

        var first = new DropoutLstmBiProj(seed: 3) { DropoutSeed = 42 };
        var second = new DropoutLstmBiProj(seed: 3) { DropoutSeed = 42 };
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
        Assert.Equal(0ul, new DropoutLstmBiProj().DropoutSeed);
    }

    /// <summary>
    /// The masks are the same scheme as the main engine's: indexed by (seed, call, sequence, recorded step, boundary, unit),
    /// not by the path. The batched and the lengths Backward (at full lengths) draw the same masks from the same seed, and
    /// a call whose arguments are refused changes nothing, not even the place in the stream.
    /// </summary>
    [Fact]
    public void LengthsAndBatchedBackward_SameSeed_SameMasks_RefusedCallsLeaveTheStream()
    {
        Fixture fixture = Fixture.Open("dropout", "gru_bi_i2_h5_l3_o0_b2_p40_last_tf");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        var batched = new DropoutGruBi3(seed: 9) { DropoutSeed = 7 };
        var lengths = new DropoutGruBi3(seed: 9) { DropoutSeed = 7 };

        Assert.Throws<ArgumentException>(() => lengths.Backward(inputs, targets.AsSpan(1).ToArray(), 2, Loss.Huber, LossOn.LastStep, layout: SequenceLayout.TimeFirst));
        Assert.Throws<ArgumentException>(() => lengths.Backward(inputs, targets, new[] { 5, 9 }, Loss.Huber, LossOn.LastStep, SequenceLayout.TimeFirst));
        Assert.Throws<ArgumentOutOfRangeException>(() => lengths.Backward(inputs, targets, 2, Loss.Huber, LossOn.LastStep, warmUp: 1, layout: SequenceLayout.TimeFirst));
        Assert.All(lengths.Gradients.ToArray(), g => Assert.Equal(0f, g));
        float a = batched.Backward(inputs, targets, 2, Loss.Huber, LossOn.LastStep, layout: SequenceLayout.TimeFirst);
        float b = lengths.Backward(inputs, targets, new[] { 5, 5 }, Loss.Huber, LossOn.LastStep, SequenceLayout.TimeFirst);

        Assert.Equal(a, b);
        Assert.Equal(batched.Gradients.ToArray(), lengths.Gradients.ToArray());
        Assert.NotEqual(batched.Evaluate(inputs, targets, 2, Loss.Huber, LossOn.LastStep, layout: SequenceLayout.TimeFirst), a);
    }

    [Fact]
    public void Backward_WithDropout_AllocatesNothing()
    {
        Fixture fixture = Fixture.Open("dropout", "lstm_bi_proj_i3_h6_p3_l2_o2_b3_p20_all");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        var model = new DropoutLstmBiProj();
        int[] lengths = [5, 3, 4];
        float[] single = inputs.AsSpan(0, 5 * 3).ToArray();
        float[] singleTargets = targets.AsSpan(0, 5 * 2).ToArray();
        var state = new float[DropoutLstmBiProj.StateLength];
        model.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps);
        model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);
        model.Backward(state, single, singleTargets);

        SteadyAllocation.AssertNone("batched Backward with dropout", 200, () => model.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps));
        SteadyAllocation.AssertNone("lengths Backward with dropout", 200, () => model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps));
        SteadyAllocation.AssertNone("single-sequence Backward with dropout", 200, () => model.Backward(state, single, singleTargets));
    }

    private static int StateLength(ISequenceModel model) => model switch
    {
        DropoutLstmBiProj => DropoutLstmBiProj.StateLength,
        DropoutGruBi3 => DropoutGruBi3.StateLength,
        DropoutRnnBi => DropoutRnnBi.StateLength,
        DropoutLstmProj => DropoutLstmProj.StateLength,
        DropoutLstmBiP0 => DropoutLstmBiP0.StateLength,
        _ => throw new ArgumentException(model.GetType().Name),
    };

    private static void AssertGradients(Fixture fixture, ISequenceModel model, string name)
    {
        float[] gradients = model.Gradients.ToArray();
        foreach (ParameterInfo info in Layout(model))
        {
            Close.Tensor(fixture.Tensor("grad." + info.Name), gradients.AsSpan(info.Offset, info.Length), 1e-4, name + " grad." + info.Name);
        }
    }

    private static (Loss Loss, LossOn On, SequenceLayout Layout) Options(Fixture fixture) =>
        (fixture.Text("loss") == "huber" ? Loss.Huber : Loss.Mse,
         fixture.Text("loss_on") == "last" ? LossOn.LastStep : LossOn.AllSteps,
         fixture.Text("layout") == "time_first" ? SequenceLayout.TimeFirst : SequenceLayout.BatchFirst);
}
