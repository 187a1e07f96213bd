using System;
using System.IO;
using System.Linq;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>What the tests read off every learned-initial-state model besides <see cref="IRecurrentModel{TSelf}"/>.</summary>
public interface ILearnedInitialState
{
    /// <summary><c>InitialState()</c>'s floats, in the state's layout.</summary>
    float[] InitialStateValues();

    /// <summary>The generated batched <c>Evaluate</c>.</summary>
    float Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss = Loss.Mse, LossOn on = LossOn.LastStep,
        int warmUp = 0, SequenceLayout layout = SequenceLayout.BatchFirst);
}

[Recurrent(2, 5, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 3, LearnInitialState = true)]
public partial class LearnedLstm2 : ILearnedInitialState
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Recurrent(3, 4, Cell = Cell.Gru, OutputSize = 2, LearnInitialState = true)]
public partial class LearnedGru : ILearnedInitialState
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Recurrent(1, 6, NumLayers = 3, LearnInitialState = true)]
public partial class LearnedRnn3 : ILearnedInitialState
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Recurrent(2, 4, Cell = Cell.Lstm, OutputSize = 1, LearnInitialState = true)]
public partial class LearnedLstm1 : ILearnedInitialState
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Linear(2, 4, Name = "pre")]
[Tanh]
[Recurrent(4, 5, Cell = Cell.Lstm, NumLayers = 2, Name = "enc", LearnInitialState = true)]
[Recurrent(5, 3, Cell = Cell.Gru, Name = "dec")]
[Linear(3, 2, Name = "out")]
public partial class LearnedEncoderStack : ILearnedInitialState
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Linear(2, 4, Name = "pre")]
[Tanh]
[Recurrent(4, 5, Cell = Cell.Lstm, NumLayers = 2, Name = "enc", LearnInitialState = true)]
[Recurrent(5, 3, Cell = Cell.Gru, Name = "dec", LearnInitialState = true)]
[Linear(3, 2, Name = "out")]
public partial class LearnedBothStack : ILearnedInitialState
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

/// <summary>
/// <c>LearnInitialState = true</c> against PyTorch modules with <c>nn.Parameter</c> h0 (and c0) expanded over the batch
/// (scripts/make_initial_state_fixtures.py): the loss within 1e-5 and every gradient tensor, h0 and c0 included, within
/// 1e-4 of its scale, as <see cref="Parity.GradientParityTests"/> (float32 BPTT sums in another order than PyTorch's);
/// finite differences of a loss computed from <c>Forward</c> as the second oracle for the h0/c0 gradients.
/// </summary>
public sealed class LearnedInitialStateTests
{
    public static TheoryData<string> Names => new(
        "lstm_i2_h5_l2_o3_b3_mse_last",
        "gru_i3_h4_l1_o2_b6_huber_all_tf",
        "rnn_i1_h6_l3_o0_b2_mse_all",
        "lstm_i2_h4_l1_o1_b5_mse_last_k2",
        "lstm_i2_h5_l2_o3_b1_huber_all",
        "stack_enc_learned_b3_last",
        "stack_both_learned_b2_all");

    [Theory]
    [MemberData(nameof(Names))]
    public void BatchedBackward_FromLearnedState_MatchesPyTorchLossAndGradients(string name)
    {
        Fixture fixture = Fixture.Open("h0", name);
        (float loss, float evaluated, float[] gradients, ParameterInfo[] layout) = name switch
        {
            "lstm_i2_h5_l2_o3_b3_mse_last" or "lstm_i2_h5_l2_o3_b1_huber_all" => Backward<LearnedLstm2>(fixture),
            "gru_i3_h4_l1_o2_b6_huber_all_tf" => Backward<LearnedGru>(fixture),
            "rnn_i1_h6_l3_o0_b2_mse_all" => Backward<LearnedRnn3>(fixture),
            "lstm_i2_h4_l1_o1_b5_mse_last_k2" => Backward<LearnedLstm1>(fixture),
            "stack_enc_learned_b3_last" => Backward<LearnedEncoderStack>(fixture),
            "stack_both_learned_b2_all" => Backward<LearnedBothStack>(fixture),
            _ => throw new ArgumentException(name),
        };

        Close.Elementwise(fixture.Tensor("loss"), [loss], 1e-5, name + " loss");
        Assert.Equal(loss, evaluated);
        Assert.Contains(layout, t => t.Name.EndsWith(".h0", StringComparison.Ordinal));
        foreach (ParameterInfo info in layout)
        {
            Close.Tensor(fixture.Tensor("grad." + info.Name), gradients.AsSpan(info.Offset, info.Length), 1e-4, name + " grad." + info.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_FromInitialState_MatchesPyTorch(string name)
    {
        Fixture fixture = Fixture.Open("h0", name);
        float[] outputs = name switch
        {
            "lstm_i2_h5_l2_o3_b3_mse_last" or "lstm_i2_h5_l2_o3_b1_huber_all" => ForwardFirstSequence<LearnedLstm2>(fixture),
            "gru_i3_h4_l1_o2_b6_huber_all_tf" => ForwardFirstSequence<LearnedGru>(fixture),
            "rnn_i1_h6_l3_o0_b2_mse_all" => ForwardFirstSequence<LearnedRnn3>(fixture),
            "lstm_i2_h4_l1_o1_b5_mse_last_k2" => ForwardFirstSequence<LearnedLstm1>(fixture),
            "stack_enc_learned_b3_last" => ForwardFirstSequence<LearnedEncoderStack>(fixture),
            "stack_both_learned_b2_all" => ForwardFirstSequence<LearnedBothStack>(fixture),
            _ => throw new ArgumentException(name),
        };

        Close.Elementwise(fixture.Tensor("forward_output"), outputs, 1e-5, name + " forward from h0");
    }

    /// <summary>Sequences of different lengths start from the learned state too: at full lengths, PyTorch's batch.</summary>
    [Fact]
    public void LengthsBackwardAndEvaluate_FullLengths_MatchPyTorchFromTheLearnedState()
    {
        foreach (string name in new[] { "lstm_i2_h5_l2_o3_b1_huber_all", "stack_both_learned_b2_all" })
        {
            Fixture fixture = Fixture.Open("h0", name);
            int[] lengths = Enumerable.Repeat(fixture.Int("seq_len"), fixture.Int("batch")).ToArray();
            Loss loss = fixture.Text("loss") == "huber" ? Loss.Huber : Loss.Mse;
            float[] gradients;
            float value, evaluated;
            ParameterInfo[] layout;
            if (name.StartsWith("stack", StringComparison.Ordinal))
            {
                var model = new LearnedBothStack();
                model.Load(fixture.WeightsPath);
                evaluated = model.Evaluate(fixture.Tensor("input"), fixture.Tensor("targets"), lengths, loss, LossOn.AllSteps);
                value = model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), lengths, loss, LossOn.AllSteps);
                gradients = model.Gradients.ToArray();
                layout = LearnedBothStack.Layout.ToArray();
            }
            else
            {
                var model = new LearnedLstm2();
                model.Load(fixture.WeightsPath);
                evaluated = model.Evaluate(fixture.Tensor("input"), fixture.Tensor("targets"), lengths, loss, LossOn.AllSteps);
                value = model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), lengths, loss, LossOn.AllSteps);
                gradients = model.Gradients.ToArray();
                layout = LearnedLstm2.Layout.ToArray();
            }

            Close.Elementwise(fixture.Tensor("loss"), [value], 1e-5, name + " loss");
            Assert.Equal(value, evaluated);
            foreach (ParameterInfo info in layout)
            {
                Close.Tensor(fixture.Tensor("grad." + info.Name), gradients.AsSpan(info.Offset, info.Length), 1e-4, name + " grad." + info.Name);
            }
        }
    }

    [Fact]
    public void Layout_LearnedState_FollowsEveryWeightWithFixedsShape()
    {
        ParameterInfo[] layout = LearnedLstm2.Layout.ToArray();

        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1",
            "rnn.bias_ih_l1", "rnn.bias_hh_l1", "linear.weight", "linear.bias", "rnn.h0", "rnn.c0"], layout.Select(t => t.Name));
        Assert.Equal([2, 5], layout[^2].Shape);
        Assert.Equal([2, 5], layout[^1].Shape);
        Assert.Equal(LearnedLstm2.ParameterCount, layout[^1].Offset + layout[^1].Length);
        Assert.Equal(LearnedLstm2.ParameterCount - (2 * LearnedLstm2.StateLength), layout[^2].Offset - LearnedLstm2.StateLength);
        Assert.Equal(LearnedLstm2.ParameterCount, new LearnedLstm2().Parameters.Length);
    }

    [Fact]
    public void StackLayout_LearnedStatesFollowEveryLayersWeights_InLayerOrder()
    {
        ParameterInfo[] layout = LearnedBothStack.Layout.ToArray();

        Assert.Equal(["enc.h0", "enc.c0", "dec.h0"], layout[^3..].Select(t => t.Name));
        Assert.Equal([2, 5], layout[^3].Shape);
        Assert.Equal([1, 3], layout[^1].Shape);
        Assert.Equal(LearnedBothStack.ParameterCount, layout[^1].Offset + layout[^1].Length);
        Assert.DoesNotContain(LearnedEncoderStack.Layout.ToArray(), t => t.Name == "dec.h0");
    }

    [Fact]
    public void StackInitialState_FillsLearnedLayers_LeavesTheOthersZero()
    {
        var model = new LearnedEncoderStack();
        Span<float> parameters = model.Parameters;
        parameters[^20..].Fill(0.5f); // enc.h0 and enc.c0, [2, 5] each
        float[] state = model.InitialStateValues();

        // enc: 2 layers of (h 5, c 5); dec: h 3.
        Assert.All(state[..20], v => Assert.Equal(0.5f, v));
        Assert.All(state[20..], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void NewModel_LearnedStateStartsAtZero_AndDefaultStateIsZero()
    {
        var model = new LearnedLstm2(seed: 7);

        Assert.All(model.InitialStateValues(), v => Assert.Equal(0f, v));
        Assert.All(model.ParameterValues[^LearnedLstm2.StateLength..].ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(model.ParameterValues[..^LearnedLstm2.StateLength].ToArray(), v => v != 0f);
    }

    [Fact]
    public void InitialState_ScattersH0AndC0IntoTheStateLayout_DefaultStaysZero()
    {
        var model = new LearnedLstm2();
        Span<float> parameters = model.Parameters;
        int h0 = LearnedLstm2.ParameterCount - LearnedLstm2.StateLength;
        for (int i = 0; i < LearnedLstm2.StateLength; i++)
        {
            parameters[h0 + i] = 1 + i;
        }

        LearnedLstm2.State state = model.InitialState();
        LearnedLstm2.State zero = default;

        // h0 [2, 5] = 1..10, c0 [2, 5] = 11..20; the state holds per layer h then c.
        Assert.Equal([1f, 2, 3, 4, 5], state.Hidden(0).ToArray());
        Assert.Equal([11f, 12, 13, 14, 15], state.Cell(0).ToArray());
        Assert.Equal([6f, 7, 8, 9, 10], state.Hidden(1).ToArray());
        Assert.Equal([16f, 17, 18, 19, 20], state.Cell(1).ToArray());
        Assert.All(zero.Values.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Load_AcceptsPyTorchShapeAndFixedsShape_SaveWritesFixedsShape()
    {
        Fixture fixture = Fixture.Open("h0", "lstm_i2_h5_l2_o3_b3_mse_last");
        Assert.Equal([2, 1, 5], SafeTensorFile.Read(fixture.WeightsPath).Tensors.Single(t => t.Name == "rnn.h0").Shape);
        var fromPyTorch = new LearnedLstm2();
        fromPyTorch.Load(fixture.WeightsPath);
        Assert.Contains(fromPyTorch.InitialStateValues(), v => v != 0f);

        using var saved = new MemoryStream();
        fromPyTorch.Save(saved);
        saved.Position = 0;
        Assert.Equal([2, 5], SafeTensorFile.Read(saved).Tensors.Single(t => t.Name == "rnn.c0").Shape);
        saved.Position = 0;
        var reloaded = new LearnedLstm2(seed: 3);
        reloaded.Load(saved);

        Assert.Equal(fromPyTorch.ParameterValues.ToArray(), reloaded.ParameterValues.ToArray());
    }

    [Fact]
    public void Load_InitialStateOfAnotherShape_ThrowsAndChangesNothing()
    {
        var source = new LearnedLstm1();
        using var file = new MemoryStream();
        ParameterInfo[] layout = LearnedLstm1.Layout.ToArray();
        // The same floats, but h0 declared [1, 2, 2] instead of [1, 4] (or PyTorch's [1, 1, 4]).
        int h0 = Array.FindIndex(layout, t => t.Name == "rnn.h0");
        layout[h0] = layout[h0] with { Shape = [1, 2, 2] };
        Engine.ModelWeights.Save(file, layout, source.ParameterValues);
        file.Position = 0;
        var model = new LearnedLstm1(seed: 5);
        float[] before = model.ParameterValues.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => model.Load(file));

        Assert.Contains("rnn.h0", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.ParameterValues.ToArray());
    }

    [Fact]
    public void BatchedBackward_H0AndC0Gradients_MatchFiniteDifferencesOfForwardLoss()
    {
        Fixture fixture = Fixture.Open("h0", "lstm_i2_h5_l2_o3_b3_mse_last");
        var model = new LearnedLstm2();
        model.Load(fixture.WeightsPath);
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        const int batch = 3, steps = 6;
        model.ZeroGrad();
        model.Backward(inputs, targets, batch);
        float[] analytic = model.Gradients.ToArray();

        // The loss from Forward alone (MSE on the last step, mean over the batch and outputs), in double.
        double LossFromForward()
        {
            double sum = 0;
            var outputs = new float[steps * LearnedLstm2.OutputSize];
            for (int b = 0; b < batch; b++)
            {
                LearnedLstm2.State state = model.InitialState();
                model.Forward(ref state, inputs.AsSpan(b * steps * LearnedLstm2.InputSize, steps * LearnedLstm2.InputSize), outputs);
                for (int o = 0; o < LearnedLstm2.OutputSize; o++)
                {
                    double d = outputs[((steps - 1) * LearnedLstm2.OutputSize) + o] - targets[(b * LearnedLstm2.OutputSize) + o];
                    sum += d * d;
                }
            }

            return sum / (batch * LearnedLstm2.OutputSize);
        }

        const float h = 1e-2f;
        int first = LearnedLstm2.ParameterCount - LearnedLstm2.StateLength;
        for (int i = first; i < LearnedLstm2.ParameterCount; i++)
        {
            float saved = model.ParameterValues[i];
            model.Parameters[i] = saved + h;
            double plus = LossFromForward();
            model.Parameters[i] = saved - h;
            double minus = LossFromForward();
            model.Parameters[i] = saved;
            double numeric = (plus - minus) / (2 * h);

            // Central differences in float32 forward passes: truncation O(h²) and rounding ~1e-7 / h.
            Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-4 + (1e-2 * Math.Abs(numeric)),
                $"parameter {i}: finite difference {numeric}, Backward {analytic[i]}");
            Assert.NotEqual(0f, analytic[i]);
        }
    }

    [Fact]
    public void SingleSequenceBackward_TreatsTheStateAsAConstant_GivesH0NoGradient()
    {
        Fixture fixture = Fixture.Open("h0", "lstm_i2_h5_l2_o3_b3_mse_last");
        var model = new LearnedLstm2();
        model.Load(fixture.WeightsPath);
        LearnedLstm2.State state = model.InitialState();
        model.ZeroGrad();

        model.Backward(ref state, fixture.Tensor("input").AsSpan(0, 6 * 2), new float[6 * 3]);

        Assert.Contains(model.Gradients[..^LearnedLstm2.StateLength].ToArray(), g => g != 0f);
        Assert.All(model.Gradients[^LearnedLstm2.StateLength..].ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void BatchedBackward_WithLearnedState_AllocatesNothing()
    {
        Fixture fixture = Fixture.Open("h0", "gru_i3_h4_l1_o2_b6_huber_all_tf");
        var model = new LearnedGru();
        model.Load(fixture.WeightsPath);
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");
        model.Backward(inputs, targets, 6, Loss.Huber, LossOn.AllSteps, layout: SequenceLayout.TimeFirst);
        _ = model.InitialState();

        SteadyAllocation.AssertNone("LearnedGru: batched Backward + InitialState", 500, () =>
        {
            model.Backward(inputs, targets, 6, Loss.Huber, LossOn.AllSteps, layout: SequenceLayout.TimeFirst);
            _ = model.InitialState();
        });
    }

    [Fact]
    public void Optimizer_StepsTheLearnedState()
    {
        Fixture fixture = Fixture.Open("h0", "rnn_i1_h6_l3_o0_b2_mse_all");
        var model = new LearnedRnn3();
        model.Load(fixture.WeightsPath);
        float[] h0 = model.InitialStateValues();
        var sgd = new Sgd(model, lr: 0.1f);

        model.ZeroGrad();
        model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), 2, on: LossOn.AllSteps);
        float[] gradient = model.Gradients[^LearnedRnn3.StateLength..].ToArray();
        sgd.Step();

        float[] after = model.InitialStateValues();
        for (int i = 0; i < h0.Length; i++)
        {
            Assert.Equal(h0[i] - (0.1f * gradient[i]), after[i], 6);
        }
    }

    /// <summary>The batched Backward's loss and gradients, and the batched Evaluate's loss (computed first, from the same start).</summary>
    private static (float Loss, float Evaluated, float[] Gradients, ParameterInfo[] Layout) Backward<T>(Fixture fixture)
        where T : IRecurrentModel<T>, ILearnedInitialState
    {
        T model = T.Create(1);
        model.Load(fixture.WeightsPath);
        model.ZeroGrad();
        Loss loss = fixture.Text("loss") == "huber" ? Loss.Huber : Loss.Mse;
        LossOn on = fixture.Text("loss_on") == "all" ? LossOn.AllSteps : LossOn.LastStep;
        SequenceLayout layout = fixture.Text("layout") == "time_first" ? SequenceLayout.TimeFirst : SequenceLayout.BatchFirst;
        float evaluated = model.Evaluate(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("batch"), loss, on, fixture.Int("warmup"), layout);
        float value = model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("batch"), loss, on, fixture.Int("warmup"), layout);
        return (value, evaluated, model.Gradients.ToArray(), T.Layout.ToArray());
    }

    private static float[] ForwardFirstSequence<T>(Fixture fixture)
        where T : IRecurrentModel<T>, ILearnedInitialState
    {
        T model = T.Create(1);
        model.Load(fixture.WeightsPath);
        int steps = fixture.Int("seq_len");
        int batch = fixture.Int("batch");
        float[] all = fixture.Tensor("input");
        var inputs = new float[steps * T.InputSize];
        for (int t = 0; t < steps; t++)
        {
            int from = fixture.Text("layout") == "time_first" ? ((t * batch) + 0) * T.InputSize : t * T.InputSize;
            all.AsSpan(from, T.InputSize).CopyTo(inputs.AsSpan(t * T.InputSize));
        }

        float[] state = model.InitialStateValues();
        var outputs = new float[steps * T.OutputSize];
        model.Forward(state, inputs, outputs);
        return outputs;
    }
}
