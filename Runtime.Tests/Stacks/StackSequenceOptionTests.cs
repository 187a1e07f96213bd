using System;
using System.IO;
using System.Linq;
using Fixed.Engine;
using Fixed.Tests.Sequence;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Stacks;

// The stacks of scripts/make_stack_sequence_fixtures.py's OPTION_CASES (same names, snake_case there), layers as there.

/// <summary>The example with both options: a ProjSize, Bidirectional LSTM with Dropout and a learned h0/c0 inside a stack.</summary>
[Linear(2, 6, Name = "fc_in")]
[Tanh]
[Recurrent(6, 8, Cell = Cell.Lstm, NumLayers = 2, Bidirectional = true, ProjSize = 4, Dropout = 0.2, LearnInitialState = true, Name = "lstm", Window = 8)]
[Linear(8, 1, Name = "fc_out")]
public partial class LstmBiProjOptionsStack : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

/// <summary>A three-layer bidirectional GRU (two dropout boundaries, h0 only) with Dropout and a learned h0.</summary>
[Linear(3, 5, Name = "fc_in")]
[Relu]
[Recurrent(5, 4, Cell = Cell.Gru, NumLayers = 3, Bidirectional = true, Dropout = 0.4, LearnInitialState = true, Name = "gru", Window = 8)]
[Linear(8, 2, Name = "fc_out")]
public partial class GruBi3OptionsStack : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

/// <summary><see cref="LstmBiProjOptionsStack"/> at p = 0.</summary>
[Linear(2, 6, Name = "fc_in")]
[Tanh]
[Recurrent(6, 8, Cell = Cell.Lstm, NumLayers = 2, Bidirectional = true, ProjSize = 4, Dropout = 0, LearnInitialState = true, Name = "lstm", Window = 8)]
[Linear(8, 1, Name = "fc_out")]
public partial class LstmBiProjOptionsP0Stack : ILearnedSequenceModel
{
    public float[] InitialStateValues() => InitialState().Values.ToArray();
}

/// <summary>
/// <c>Dropout</c> and <c>LearnInitialState</c> on a stack's <c>ProjSize</c>/<c>Bidirectional</c> layer (SequenceEngine inside
/// a stack), against PyTorch's stack in training mode (scripts/make_stack_sequence_fixtures.py, OPTION_CASES): the module's own
/// masks, drawn again by the script and checked to be the module's, are injected (<see cref="DropoutMask"/>'s test hook), and
/// h0/c0 are nn.Parameters expanded over the batch, so the loss and every gradient, h0's and c0's included, must be PyTorch's
/// (1e-5 for losses, 1e-4 of each tensor's scale for gradients, as the one-attribute models' tests).
/// </summary>
public sealed class StackSequenceOptionTests
{
    private static readonly string[] Cases = ["lstm_bi_proj_options_stack", "gru_bi3_options_stack", "lstm_bi_proj_options_p0_stack"];

    public static TheoryData<string, bool> Paths => new(Cases.SelectMany(name => new[] { (name, false), (name, true) }));

    public static TheoryData<string> Names => new(Cases);

    private static ILearnedSequenceModel Create(string name) => name switch
    {
        "lstm_bi_proj_options_stack" => new LstmBiProjOptionsStack(),
        "gru_bi3_options_stack" => new GruBi3OptionsStack(),
        "lstm_bi_proj_options_p0_stack" => new LstmBiProjOptionsP0Stack(),
        _ => throw new ArgumentException(name),
    };

    private static ParameterInfo[] Layout(ISequenceModel model) => model switch
    {
        LstmBiProjOptionsStack => LstmBiProjOptionsStack.Layout.ToArray(),
        GruBi3OptionsStack => GruBi3OptionsStack.Layout.ToArray(),
        LstmBiProjOptionsP0Stack => LstmBiProjOptionsP0Stack.Layout.ToArray(),
        _ => throw new ArgumentException(model.GetType().Name),
    };

    [Fact]
    public void Fixtures_AreEveryCase() =>
        Assert.Equal(Cases.Order(StringComparer.Ordinal), Directory.GetFiles(Path.Combine(Fixture.Root, "stack_sequence_options"), "*.data.safetensors")
            .Select(path => Path.GetFileName(path)[..^".data.safetensors".Length]).Order(StringComparer.Ordinal));

    /// <summary>The batched Backward (and the lengths Backward at full lengths) from the learned state, through PyTorch's masks (none at p = 0).</summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void Backward_PyTorchsMasks_FromLearnedState_MatchesPyTorchLossAndEveryGradient(string name, bool lengths)
    {
        Fixture fixture = Fixture.Open("stack_sequence_options", name);
        ISequenceModel model = Create(name);
        model.Load(fixture.WeightsPath);
        int batch = fixture.Int("B");
        float[] inputs = fixture.Tensor("input"), targets = fixture.Tensor("targets");
        float Run() => lengths
            ? model.Backward(inputs, targets, Enumerable.Repeat(fixture.Int("T"), batch).ToArray(), Loss.Mse, LossOn.AllSteps)
            : model.Backward(inputs, targets, batch, Loss.Mse, LossOn.AllSteps);
        float loss;
        if (fixture.Text("dropout") == "0.0")
        {
            loss = Run();
        }
        else
        {
            using (DropoutMask.Inject(fixture.Tensor("mask"), fixture.Int("T")))
            {
                loss = Run();
            }
        }

        Close.Elementwise(fixture.Tensor("loss"), [loss], 1e-5, name + " loss");
        float[] expected = fixture.Tensor("grad");
        float[] gradients = model.Gradients.ToArray();
        Assert.Equal(expected.Length, gradients.Length);
        foreach (ParameterInfo info in Layout(model))
        {
            Close.Tensor(expected.AsSpan(info.Offset, info.Length), gradients.AsSpan(info.Offset, info.Length), 1e-4, name + " grad." + info.Name);
        }

        ParameterInfo h0 = Layout(model).Single(info => info.Name.EndsWith(".h0", StringComparison.Ordinal));
        Assert.Contains(gradients.AsSpan(h0.Offset, h0.Length).ToArray(), g => g != 0);
    }

    /// <summary>Forward (from InitialState()) and Evaluate are eval mode: no dropout, PyTorch's module.eval().</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void ForwardFromInitialStateAndEvaluate_AreEvalMode_MatchPyTorchsEval(string name)
    {
        Fixture fixture = Fixture.Open("stack_sequence_options", name);
        ILearnedSequenceModel model = Create(name);
        model.Load(fixture.WeightsPath);
        int batch = fixture.Int("B"), steps = fixture.Int("T");
        float[] inputs = fixture.Tensor("input");
        float evaluated = model.Evaluate(inputs, fixture.Tensor("targets"), batch, Loss.Mse, LossOn.AllSteps);
        float[] expected = fixture.Tensor("forward_output");
        var outputs = new float[expected.Length];
        model.Forward(model.InitialStateValues(), inputs.AsSpan(0, inputs.Length / batch), outputs);

        Close.Elementwise(fixture.Tensor("eval_loss"), [evaluated], 1e-5, name + " eval loss");
        Close.Elementwise(expected, outputs, 1e-5, name + " forward");
        Assert.Equal(steps * (expected.Length / steps), outputs.Length);
    }

    /// <summary>At p = 0 nothing is dropped: PyTorch's training loss is its eval loss, and the stack has no seed.</summary>
    [Fact]
    public void ZeroDropout_IsNoDropout()
    {
        Fixture fixture = Fixture.Open("stack_sequence_options", "lstm_bi_proj_options_p0_stack");
        var model = new LstmBiProjOptionsP0Stack();
        model.Load(fixture.WeightsPath);
        float loss = model.Backward(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("B"), Loss.Mse, LossOn.AllSteps);

        Assert.Equal(fixture.Tensor("loss")[0], fixture.Tensor("eval_loss")[0]);
        Assert.Equal(model.Evaluate(fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Int("B"), Loss.Mse, LossOn.AllSteps), loss);
        Assert.Null(typeof(LstmBiProjOptionsP0Stack).GetProperty("DropoutSeed"));
        Assert.NotNull(typeof(LstmBiProjOptionsStack).GetProperty("DropoutSeed"));
    }

    /// <summary>h0 and c0 have PyTorch's shapes under the layer's name, after every layer's weights; InitialState() copies their rows into the state.</summary>
    [Fact]
    public void Layout_H0AndC0_HavePyTorchsShapesAfterEveryWeight_AndInitialStateFillsTheirRows()
    {
        ParameterInfo[] layout = LstmBiProjOptionsStack.Layout.ToArray();
        Assert.Equal(["lstm.h0", "lstm.c0"], layout[^2..].Select(info => info.Name));
        Assert.Equal([4, 4], layout[^2].Shape.ToArray());
        Assert.Equal([4, 8], layout[^1].Shape.ToArray());
        Assert.Equal(LstmBiProjOptionsStack.ParameterCount, layout[^1].Offset + layout[^1].Length);
        Assert.Equal(["gru.h0"], GruBi3OptionsStack.Layout.ToArray()[^1..].Select(info => info.Name));
        Assert.Equal([6, 4], GruBi3OptionsStack.Layout.ToArray()[^1].Shape.ToArray());

        Fixture fixture = Fixture.Open("stack_sequence_options", "lstm_bi_proj_options_stack");
        var model = new LstmBiProjOptionsStack();
        model.Load(fixture.WeightsPath);
        float[] h0 = SafeTensorFile.Read(fixture.WeightsPath).ReadFloats("lstm.h0");
        float[] c0 = SafeTensorFile.Read(fixture.WeightsPath).ReadFloats("lstm.c0");
        float[] state = model.InitialStateValues();
        Assert.Equal(LstmBiProjOptionsStack.StateLength, state.Length);
        for (int row = 0; row < 4; row++)
        {
            // State rows: layer × 2 + direction, h (ProjSize = 4 floats) then c (8 floats).
            Assert.Equal(h0.AsSpan(row * 4, 4).ToArray(), state.AsSpan(row * 12, 4).ToArray());
            Assert.Equal(c0.AsSpan(row * 8, 8).ToArray(), state.AsSpan((row * 12) + 4, 8).ToArray());
        }
    }

    [Fact]
    public void SaveAndLoad_RoundTripTheInitialState()
    {
        Fixture fixture = Fixture.Open("stack_sequence_options", "lstm_bi_proj_options_stack");
        var model = new LstmBiProjOptionsStack();
        model.Load(fixture.WeightsPath);
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        var copy = new LstmBiProjOptionsStack();
        copy.Load(stream);

        Assert.Equal(model.Parameters.ToArray(), copy.Parameters.ToArray());
        Assert.Equal(model.InitialStateValues(), copy.InitialStateValues());
        Assert.Contains(copy.InitialStateValues(), v => v != 0);
    }

    /// <summary>
    /// Second oracle: every gradient of the batched Backward (one sequence, from the learned state, through PyTorch's first
    /// sequence's mask held fixed) against central differences of the loss that Backward returns for the same mask
    /// (Richardson-extrapolated; tolerance 2e-3 of the tensor's largest gradient plus 2e-5, the float loss's rounding).
    /// </summary>
    [Fact]
    public void Backward_FixedMask_MatchesFiniteDifferences()
    {
        const float Step = 2e-2f;
        const double Floor = 2e-5;
        Fixture fixture = Fixture.Open("stack_sequence_options", "lstm_bi_proj_options_stack");
        var model = new LstmBiProjOptionsStack();
        model.Load(fixture.WeightsPath);
        int steps = fixture.Int("T");
        float[] mask = fixture.Tensor("mask").AsSpan(0, steps * 8).ToArray();
        float[] inputs = fixture.Tensor("input").AsSpan(0, steps * 2).ToArray();
        float[] targets = fixture.Tensor("targets").AsSpan(0, steps).ToArray();
        float[] analytic;
        using (DropoutMask.Inject(mask, steps))
        {
            model.ZeroGrad();
            model.Backward(inputs, targets, 1, Loss.Mse, LossOn.AllSteps);
            analytic = model.Gradients.ToArray();

            double BatchLoss() => model.Backward(inputs, targets, 1, Loss.Mse, LossOn.AllSteps);
            FiniteDifferences.Compare(model, LstmBiProjOptionsStack.Layout.ToArray(), analytic, BatchLoss, step: Step, relative: 2e-3, floor: Floor);
        }
    }

    /// <summary>
    /// The stack's DropoutSeed drives the layer's masks: the same seed gives the same gradients bit for bit, the next call and
    /// another seed other masks; a refused call changes nothing, not even the place in the stream.
    /// </summary>
    [Fact]
    public void Backward_SameSeed_SameGradients_OtherSeedOrNextCall_Different_RefusedCallsLeaveTheStream()
    {
        Fixture fixture = Fixture.Open("stack_sequence_options", "lstm_bi_proj_options_stack");
        float[] inputs = fixture.Tensor("input"), targets = fixture.Tensor("targets");
        float[] Run(LstmBiProjOptionsStack model)
        {
            model.ZeroGrad();
            model.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps);
            return model.Gradients.ToArray();
        }

        var first = new LstmBiProjOptionsStack { DropoutSeed = 42 };
        var second = new LstmBiProjOptionsStack { DropoutSeed = 42 };
        first.Load(fixture.WeightsPath);
        second.Load(fixture.WeightsPath);
        Assert.Throws<ArgumentException>(() => second.Backward(inputs, targets.AsSpan(1).ToArray(), 3, Loss.Mse, LossOn.AllSteps));
        float[][] a = [Run(first), Run(first)];
        float[][] b = [Run(second), Run(second)];
        second.DropoutSeed = 43;
        float[] other = Run(second);

        Assert.Equal(a[0], b[0]);
        Assert.Equal(a[1], b[1]);
        Assert.NotEqual(a[0], a[1]);
        Assert.NotEqual(a[0], other);
    }

    [Fact]
    public void Backward_WithDropoutAndLearnedState_AllocatesNothing()
    {
        Fixture fixture = Fixture.Open("stack_sequence_options", "lstm_bi_proj_options_stack");
        float[] inputs = fixture.Tensor("input"), targets = fixture.Tensor("targets");
        var model = new LstmBiProjOptionsStack { DropoutSeed = 1 };
        model.Load(fixture.WeightsPath);
        int[] lengths = [5, 3, 4];
        model.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps);
        model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);

        SteadyAllocation.AssertNone("stack batched Backward, dropout and learned state", 200, () => model.Backward(inputs, targets, 3, Loss.Mse, LossOn.AllSteps));
        SteadyAllocation.AssertNone("stack lengths Backward, dropout and learned state", 200, () => model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps));
    }
}
