using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Sequence;

/// <summary>
/// Models with <c>ProjSize</c> or <c>Bidirectional</c> against real PyTorch (scripts/make_sequence_fixtures.py):
/// Forward from a random initial state (outputs and PyTorch's <c>h_n</c>), the single-sequence Backward (loss, every
/// gradient, the state it leaves) and the batched Backward. Tolerance 1e-5 absolute plus 1e-5 relative: float32
/// accumulated in another order than PyTorch's (the contract's 1e-5 between paths).
/// </summary>
public sealed class SequenceParityTests
{
    public static TheoryData<string> Names() => new(
        Directory.GetFiles(Path.Combine(Fixture.Root, "sequence"), "*.data.safetensors")
            .Select(path => Path.GetFileName(path)[..^".data.safetensors".Length])
            .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_FromAnInitialState_MatchesPyTorchOutputsAndFinalState(string name)
    {
        Fixture fixture = Fixture.Open("sequence", name);
        ISequenceModel model = SequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        float[] state = fixture.Tensor("h0");
        float[] expected = fixture.Tensor("output");
        var outputs = new float[expected.Length];

        model.Forward(state, fixture.Tensor("input"), outputs);

        AssertClose(expected, outputs, name + " outputs");
        AssertClose(fixture.Tensor("state_n"), state, name + " h_n");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_OneSequence_MatchesPyTorchLossGradientsAndState(string name)
    {
        Fixture fixture = Fixture.Open("sequence", name);
        ISequenceModel model = SequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        float[] state = fixture.Tensor("h0");

        float loss = model.Backward(state, fixture.Tensor("input"), fixture.Tensor("targets"), Loss.Mse, LossOn.AllSteps, fixture.Int("k"));

        AssertClose(fixture.Tensor("loss"), [loss], name + " loss");
        AssertClose(fixture.Tensor("grad"), model.Gradients.ToArray(), name + " gradients");
        AssertClose(fixture.Tensor("state_end"), state, name + " state after Backward");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_Batch_MatchesPyTorchLossAndGradients(string name)
    {
        Fixture fixture = Fixture.Open("sequence", name);
        ISequenceModel model = SequenceModels.Create(name);
        model.Load(fixture.WeightsPath);

        LossOn on = fixture.Text("batch_on") == "all" ? LossOn.AllSteps : LossOn.LastStep;
        SequenceLayout layout = fixture.Text("batch_layout") == "time_first" ? SequenceLayout.TimeFirst : SequenceLayout.BatchFirst;
        float[] inputs = fixture.Tensor("batch_input"), targets = fixture.Tensor("batch_targets");

        float loss = model.Backward(inputs, targets, fixture.Int("B"), Loss.Mse, on, fixture.Int("k"), layout);
        float evaluated = model.Evaluate(inputs, targets, fixture.Int("B"), Loss.Mse, on, fixture.Int("k"), layout);

        AssertClose(fixture.Tensor("batch_loss"), [loss], name + " loss");
        AssertClose(fixture.Tensor("batch_grad"), model.Gradients.ToArray(), name + " gradients");
        Assert.Equal(loss, evaluated);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BackwardAndEvaluate_SequencesOfDifferentLengths_MatchPyTorchsPackedSequences(string name)
    {
        Fixture fixture = Fixture.Open("sequence", name);
        ISequenceModel model = SequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        int[] lengths = fixture.Tensor("lengths").Select(l => (int)l).ToArray();
        float[] inputs = fixture.Tensor("len_input"), targets = fixture.Tensor("len_targets");
        Assert.Contains(inputs, float.IsNaN);

        float loss = model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);
        float evaluated = model.Evaluate(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);

        AssertClose(fixture.Tensor("len_loss"), [loss], name + " loss");
        AssertClose(fixture.Tensor("len_grad"), model.Gradients.ToArray(), name + " gradients");
        Assert.Equal(loss, evaluated);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Evaluate_OneSequence_ReturnsBackwardsLossAndStateWithoutGradients(string name)
    {
        Fixture fixture = Fixture.Open("sequence", name);
        ISequenceModel model = SequenceModels.Create(name);
        model.Load(fixture.WeightsPath);
        float[] state = fixture.Tensor("h0");

        float loss = model.Evaluate(state, fixture.Tensor("input"), fixture.Tensor("targets"), Loss.Mse, LossOn.AllSteps, fixture.Int("k"));

        AssertClose(fixture.Tensor("loss"), [loss], name + " loss");
        AssertClose(fixture.Tensor("state_end"), state, name + " state after Evaluate");
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
        float[] again = fixture.Tensor("h0");
        Assert.Equal(loss, model.Backward(again, fixture.Tensor("input"), fixture.Tensor("targets"), Loss.Mse, LossOn.AllSteps, fixture.Int("k")));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Layout_IsPyTorchsStateDictOfTheFixture(string name)
    {
        // The weights file is the state_dict as PyTorch wrote it, in its order: Load found every tensor under the names and
        // shapes of Layout (or it would have thrown); here the order and the total are checked too.
        Fixture fixture = Fixture.Open("sequence", name);
        ISequenceModel model = SequenceModels.Create(name);
        SafeTensorFile weights = SafeTensorFile.Read(fixture.WeightsPath);
        model.Load(fixture.WeightsPath);

        Assert.Equal(fixture.Tensor("grad").Length, model.Parameters.Length);
        float[] concatenated = weights.Tensors.OrderBy(t => t.Begin).SelectMany(t => weights.ReadFloats(t.Name)).ToArray();
        Assert.Equal(concatenated, model.ParameterValues.ToArray());
    }

    internal static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 1e-5 + (1e-5 * Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance:G3})");
        }
    }
}
