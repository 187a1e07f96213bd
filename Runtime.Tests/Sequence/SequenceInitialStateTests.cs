using System;
using System.IO;
using System.Linq;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Sequence;

/// <summary>A <c>ProjSize</c>/<c>Bidirectional</c> model with <c>LearnInitialState</c>.</summary>
public interface ILearnedSequenceModel : ISequenceModel
{
    /// <summary><c>InitialState()</c>'s floats, in the state's layout.</summary>
    float[] InitialStateValues();
}

// The models of scripts/make_initial_state_fixtures.py's SEQUENCE_CASES (sizes as there).

[Recurrent(3, 5, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 3, Bidirectional = true, OutputSize = 2, LearnInitialState = true, Window = 8)]
public partial class LearnedLstmBiProj : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Recurrent(2, 4, Cell = Cell.Gru, NumLayers = 2, Bidirectional = true, LearnInitialState = true, Window = 8)]
public partial class LearnedGruBi : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Recurrent(2, 5, Bidirectional = true, OutputSize = 3, LearnInitialState = true, Window = 8)]
public partial class LearnedRnnBi : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Recurrent(2, 6, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 2, OutputSize = 1, LearnInitialState = true, Window = 8)]
public partial class LearnedLstmProj2 : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

[Recurrent(2, 5, Cell = Cell.Lstm, ProjSize = 3, OutputSize = 2, LearnInitialState = true, Window = 8)]
public partial class LearnedLstmProj1 : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

/// <summary>Both options on one model: a learned initial state and dropout.</summary>
[Recurrent(3, 6, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 3, Bidirectional = true, OutputSize = 2, LearnInitialState = true, Dropout = 0.2, Window = 8)]
public partial class LearnedDropoutLstmBiProj : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

/// <summary>
/// <c>LearnInitialState</c> on <c>ProjSize</c> and <c>Bidirectional</c> models against PyTorch modules whose h0/c0 are
/// <c>nn.Parameter</c>s of PyTorch's <c>h_0</c> shape, <c>[NumLayers × directions, 1, proj_size or H]</c> (c0
/// <c>[NumLayers × directions, 1, H]</c>), expanded over the batch (scripts/make_initial_state_fixtures.py, SEQUENCE_CASES):
/// the loss within 1e-5, every gradient (h0 and c0 included) within 1e-4 of the tensor's scale, Forward from
/// <c>InitialState()</c> within 1e-5; and the h0/c0 gradients against central differences.
/// </summary>
public sealed class SequenceInitialStateTests
{
    private static readonly string[] Cases =
    [
        "lstm_bi_proj_i3_h5_p3_l2_o2_b3_mse_last",
        "gru_bi_i2_h4_l2_o0_b2_huber_all_tf",
        "rnn_bi_i2_h5_l1_o3_b1_mse_all",
        "lstm_proj_i2_h6_p2_l2_o1_b4_mse_all",
        "lstm_proj_i2_h5_p3_l1_o2_b2_mse_last_k2",
    ];

    public static TheoryData<string> Names => new(Cases);

    public static TheoryData<string> NoWarmUp => new(Cases.Where(name => !name.EndsWith("_k2", StringComparison.Ordinal)));

    private static ILearnedSequenceModel Create(string name) => name switch
    {
        "lstm_bi_proj_i3_h5_p3_l2_o2_b3_mse_last" => new LearnedLstmBiProj(),
        "gru_bi_i2_h4_l2_o0_b2_huber_all_tf" => new LearnedGruBi(),
        "rnn_bi_i2_h5_l1_o3_b1_mse_all" => new LearnedRnnBi(),
        "lstm_proj_i2_h6_p2_l2_o1_b4_mse_all" => new LearnedLstmProj2(),
        "lstm_proj_i2_h5_p3_l1_o2_b2_mse_last_k2" => new LearnedLstmProj1(),
        _ => throw new ArgumentException(name),
    };

    private static ParameterInfo[] Layout(ISequenceModel model) => model switch
    {
        LearnedLstmBiProj => LearnedLstmBiProj.Layout.ToArray(),
        LearnedGruBi => LearnedGruBi.Layout.ToArray(),
        LearnedRnnBi => LearnedRnnBi.Layout.ToArray(),
        LearnedLstmProj2 => LearnedLstmProj2.Layout.ToArray(),
        LearnedLstmProj1 => LearnedLstmProj1.Layout.ToArray(),
        LearnedDropoutLstmBiProj => LearnedDropoutLstmBiProj.Layout.ToArray(),
        _ => throw new ArgumentException(model.GetType().Name),
    };

    [Fact]
    public void Layout_InitialStateTensors_HavePyTorchsH0RowsAfterEveryWeight()
    {
        ParameterInfo[] layout = LearnedLstmBiProj.Layout.ToArray();
        ParameterInfo h0 = layout[^2], c0 = layout[^1];

        Assert.Equal("rnn.h0", h0.Name);
        Assert.Equal([4, 3], h0.Shape.ToArray());
        Assert.Equal("rnn.c0", c0.Name);
        Assert.Equal([4, 5], c0.Shape.ToArray());
        Assert.Equal(layout[^3].Offset + layout[^3].Length, h0.Offset);
        Assert.Equal(LearnedLstmBiProj.ParameterCount, c0.Offset + c0.Length);
        Assert.Equal(LearnedLstmBiProj.StateLength, h0.Length + c0.Length);
        Assert.Equal("rnn.h0", LearnedGruBi.Layout[^1].Name);
        Assert.Equal([4, 4], LearnedGruBi.Layout[^1].Shape.ToArray());
        Assert.Equal("rnn.c0", LearnedLstmProj2.Layout[^1].Name);
        Assert.Equal([2, 6], LearnedLstmProj2.Layout[^1].Shape.ToArray());
        Assert.Equal([2, 2], LearnedLstmProj2.Layout[^2].Shape.ToArray());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BatchedBackward_FromLearnedState_MatchesPyTorchLossAndGradients(string name)
    {
        Fixture fixture = Fixture.Open("h0", name);
        ILearnedSequenceModel model = Create(name);
        model.Load(fixture.WeightsPath);
        (Loss loss, LossOn on, SequenceLayout layout) = Options(fixture);
        float value = model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("batch"), loss, on, fixture.Int("warmup"), layout);

        Close.Elementwise(fixture.Tensor("loss"), [value], 1e-5, name + " loss");
        AssertGradients(fixture, model, name);
        float evaluated = model.Evaluate(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("batch"), loss, on, fixture.Int("warmup"), layout);
        Close.Elementwise(fixture.Tensor("loss"), [evaluated], 1e-5, name + " Evaluate");
    }

    [Theory]
    [MemberData(nameof(NoWarmUp))]
    public void LengthsBackwardAndEvaluate_FullLengths_FromLearnedState_MatchPyTorch(string name)
    {
        Fixture fixture = Fixture.Open("h0", name);
        ILearnedSequenceModel model = Create(name);
        model.Load(fixture.WeightsPath);
        (Loss loss, LossOn on, SequenceLayout layout) = Options(fixture);
        int[] lengths = Enumerable.Repeat(fixture.Int("seq_len"), fixture.Int("batch")).ToArray();
        float value = model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), lengths, loss, on, layout);
        float evaluated = model.Evaluate(fixture.Tensor("input"), fixture.Tensor("targets"), lengths, loss, on, layout);

        Close.Elementwise(fixture.Tensor("loss"), [value], 1e-5, name + " loss");
        Close.Elementwise(fixture.Tensor("loss"), [evaluated], 1e-5, name + " Evaluate");
        AssertGradients(fixture, model, name);
    }

    /// <summary>InitialState() fills every layer's and direction's h (and c) from h0/c0; Forward from it is PyTorch's.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardFromInitialState_MatchesPyTorch(string name)
    {
        Fixture fixture = Fixture.Open("h0", name);
        ILearnedSequenceModel model = Create(name);
        model.Load(fixture.WeightsPath);
        float[] expected = fixture.Tensor("forward_output");
        int steps = fixture.Int("seq_len");
        int batch = fixture.Int("batch");
        float[] inputs = fixture.Tensor("input");
        int inputSize = inputs.Length / (steps * batch);
        bool timeFirst = fixture.Text("layout") == "time_first";
        var first = new float[steps * inputSize];
        for (int t = 0; t < steps; t++)
        {
            inputs.AsSpan((timeFirst ? t * batch : t) * inputSize, inputSize).CopyTo(first.AsSpan(t * inputSize));
        }

        float[] state = model.InitialStateValues();
        Assert.Contains(state, v => v != 0);
        var outputs = new float[expected.Length];
        model.Forward(state, first, outputs);

        Close.Elementwise(expected, outputs, 1e-5, name + " forward");
    }

    /// <summary>InitialState()'s rows are h0's and c0's rows, in the state's order (h then c per layer and direction).</summary>
    [Fact]
    public void InitialState_FillsEveryLayerAndDirectionFromH0AndC0()
    {
        var model = new LearnedLstmBiProj();
        ParameterInfo h0 = LearnedLstmBiProj.Layout[^2], c0 = LearnedLstmBiProj.Layout[^1];
        for (int i = 0; i < h0.Length; i++)
        {
            model.Parameters[h0.Offset + i] = 1 + i;
        }

        for (int i = 0; i < c0.Length; i++)
        {
            model.Parameters[c0.Offset + i] = -1 - i;
        }

        LearnedLstmBiProj.State state = model.InitialState();
        for (int layer = 0; layer < 2; layer++)
        {
            for (int direction = 0; direction < 2; direction++)
            {
                int row = (layer * 2) + direction;
                Assert.Equal(model.Parameters.Slice(h0.Offset + (row * 3), 3).ToArray(), state.Hidden(layer, direction).ToArray());
                Assert.Equal(model.Parameters.Slice(c0.Offset + (row * 5), 5).ToArray(), state.Cell(layer, direction).ToArray());
            }
        }

        Assert.All(default(LearnedLstmBiProj.State).Values.ToArray(), v => Assert.Equal(0f, v));
    }

    /// <summary>
    /// Second oracle for h0/c0's gradients (and every other tensor's): the batched Backward with one sequence against
    /// central differences of an MSE loss computed here in double from the outputs of Forward started at InitialState()
    /// (<see cref="FiniteDifferences"/>'s extrapolation and tolerance: 1e-3 of the tensor's largest gradient plus 4e-6).
    /// </summary>
    [Fact]
    public void InitialStateGradients_MatchFiniteDifferences()
    {
        Check(new LearnedLstmBiProj(), LearnedLstmBiProj.Layout.ToArray(), LearnedLstmBiProj.InputSize, LearnedLstmBiProj.OutputSize, steps: 5);
        Check(new LearnedGruBi(), LearnedGruBi.Layout.ToArray(), LearnedGruBi.InputSize, LearnedGruBi.OutputSize, steps: 4);
        Check(new LearnedLstmProj2(), LearnedLstmProj2.Layout.ToArray(), LearnedLstmProj2.InputSize, LearnedLstmProj2.OutputSize, steps: 5);
    }

    private static void Check(ILearnedSequenceModel model, ParameterInfo[] layout, int inputSize, int outputSize, int steps)
    {
        var random = new Random(4321);
        ProjSizeTests.Values(random, model.Parameters.Length, 0.6f).CopyTo(model.Parameters);
        float[] inputs = ProjSizeTests.Values(random, steps * inputSize, 1f);
        float[] targets = ProjSizeTests.Values(random, steps * outputSize, 1f);
        model.ZeroGrad();
        model.Backward(inputs, targets, 1, Loss.Mse, LossOn.AllSteps);
        float[] analytic = model.Gradients.ToArray();

        var outputs = new float[steps * outputSize];
        double Evaluate()
        {
            model.Forward(model.InitialStateValues(), inputs, outputs);
            return FiniteDifferences.MeanSquaredError(outputs, targets);
        }

        FiniteDifferences.Compare(model, layout, analytic, Evaluate, model.GetType().Name + " ");
    }

    /// <summary>The single-sequence Backward treats the state it is given as a constant: h0/c0 get no gradient from it.</summary>
    [Fact]
    public void SingleSequenceBackward_GivesTheInitialStateNoGradient()
    {
        Fixture fixture = Fixture.Open("h0", "rnn_bi_i2_h5_l1_o3_b1_mse_all");
        var model = new LearnedRnnBi();
        model.Load(fixture.WeightsPath);
        LearnedRnnBi.State state = model.InitialState();
        float loss = model.Backward(ref state, fixture.Tensor("input"), fixture.Tensor("targets"));

        Close.Elementwise(fixture.Tensor("loss"), [loss], 1e-5, "loss");
        ParameterInfo h0 = LearnedRnnBi.Layout[^1];
        Assert.All(model.Gradients.Slice(h0.Offset, h0.Length).ToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(model.Gradients.Slice(0, h0.Offset).ToArray(), g => g != 0);
    }

    /// <summary>Save writes h0 <c>[rows, h]</c> and c0; Load reads them back (and PyTorch's <c>[rows, 1, h]</c>, as the fixtures are).</summary>
    [Fact]
    public void SaveAndLoad_RoundTripTheInitialState()
    {
        Fixture fixture = Fixture.Open("h0", "lstm_bi_proj_i3_h5_p3_l2_o2_b3_mse_last");
        var model = new LearnedLstmBiProj();
        model.Load(fixture.WeightsPath);
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        var copy = new LearnedLstmBiProj(seed: 5);
        copy.Load(stream);

        Assert.Equal(model.Parameters.ToArray(), copy.Parameters.ToArray());
        Assert.Equal(model.InitialStateValues(), copy.InitialStateValues());
        Assert.Contains(copy.InitialStateValues(), v => v != 0);
    }

    /// <summary>A file without the initial state is refused, naming the tensor, and changes nothing.</summary>
    [Fact]
    public void Load_FileWithoutH0_IsRefusedAndChangesNothing()
    {
        var model = new LearnedGruBi(seed: 2);
        float[] before = model.Parameters.ToArray();
        var weightsOnly = new GruBiWeightsOnly();
        using var stream = new MemoryStream();
        weightsOnly.Save(stream);
        stream.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => model.Load(stream));
        Assert.Contains("rnn.h0", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    /// <summary>Both options on one model: the same seed gives the same gradients, every h0 row gets one, and no Backward allocates.</summary>
    [Fact]
    public void LearnedStateWithDropout_TrainsTheInitialState_AllocatesNothing()
    {
        var model = new LearnedDropoutLstmBiProj(seed: 1) { DropoutSeed = 3 };
        var random = new Random(5);
        ProjSizeTests.Values(random, LearnedDropoutLstmBiProj.StateLength, 0.5f).CopyTo(model.Parameters[^LearnedDropoutLstmBiProj.StateLength..]);
        float[] inputs = ProjSizeTests.Values(random, 3 * 5 * 3, 1f);
        float[] targets = ProjSizeTests.Values(random, 3 * 5 * 2, 1f);
        int[] lengths = [5, 2, 4];
        model.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps);
        float[] first = model.Gradients.ToArray();
        var again = new LearnedDropoutLstmBiProj(seed: 1) { DropoutSeed = 3 };
        model.Parameters.CopyTo(again.Parameters);
        again.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps);

        Assert.Equal(first, again.Gradients.ToArray());
        Assert.All(Enumerable.Range(0, 4), row => Assert.Contains(first.AsSpan(LearnedDropoutLstmBiProj.Layout[^2].Offset + (row * 3), 3).ToArray(), g => g != 0));
        model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);
        SteadyAllocation.AssertNone("batched Backward, learned state and dropout", 200, () => model.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps));
        SteadyAllocation.AssertNone("lengths Backward, learned state and dropout", 200, () => model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps));
        SteadyAllocation.AssertNone("batched Evaluate from the learned state", 200, () => model.Evaluate(inputs, targets, 3, Loss.Mse, LossOn.AllSteps));
    }

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

/// <summary>LearnedGruBi's weights without a learned initial state: its file has no rnn.h0.</summary>
[Recurrent(2, 4, Cell = Cell.Gru, NumLayers = 2, Bidirectional = true, Window = 8)]
public partial class GruBiWeightsOnly;
