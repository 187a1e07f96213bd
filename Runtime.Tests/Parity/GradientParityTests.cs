using System;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Parity;

/// <summary>
/// Training against PyTorch's loss.backward() on the committed fixtures: the loss within 1e-5 and every gradient
/// tensor, by state_dict name, within 1e-4 of the tensor's own scale (float32 BPTT accumulates over up to
/// Window steps and a batch, in a different order than PyTorch's).
/// </summary>
public sealed class GradientParityTests
{
    public static TheoryData<string> Names => new(FixtureModels.GradNames);

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_Fixture_MatchesPyTorchLossAndGradients(string name)
    {
        Fixture fixture = Fixture.Grad(name);
        IFixtureCase model = FixtureModels.Grad(name);
        Loss loss = LossOf(fixture);
        LossOn on = fixture.Text("loss_on") == "all" ? LossOn.AllSteps : LossOn.LastStep;
        int warmUp = fixture.Int("warmup");
        float[] inputs = fixture.Tensor("input");
        float[] targets = fixture.Tensor("targets");

        (float value, float[] gradients) = fixture.Text("mode") == "single"
            ? model.BackwardSingle(fixture.WeightsPath, fixture.InitialState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm), inputs, targets, loss, on, warmUp)
            : model.BackwardBatched(fixture.WeightsPath, inputs, targets, fixture.Int("batch"), loss, on, warmUp,
                fixture.Text("layout") == "batch_first" ? SequenceLayout.BatchFirst : SequenceLayout.TimeFirst);

        Close.Elementwise(fixture.Tensor("loss"), [value], 1e-5, name + " loss");
        foreach (ParameterInfo info in model.Layout)
        {
            Close.Tensor(fixture.Tensor("grad." + info.Name), gradients.AsSpan(info.Offset, info.Length), 1e-4, name + " grad." + info.Name);
        }
    }

    /// <summary>The single-sequence fixtures: batched Backward starts each sequence from zeros and keeps no state.</summary>
    public static TheoryData<string> SingleSequenceNames => new(FixtureModels.GradNames.Where(name => Fixture.Grad(name).Text("mode") == "single"));

    [Theory]
    [MemberData(nameof(SingleSequenceNames))]
    public void Backward_SingleSequence_LeavesStateAtTheSequenceEnd(string name)
    {
        Fixture fixture = Fixture.Grad(name);
        Assert.Equal("single", fixture.Text("mode"));
        IFixtureCase model = FixtureModels.Grad(name);
        float[] state = fixture.InitialState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm);

        model.BackwardSingle(fixture.WeightsPath, state, fixture.Tensor("input"), fixture.Tensor("targets"), LossOf(fixture),
            fixture.Text("loss_on") == "all" ? LossOn.AllSteps : LossOn.LastStep, fixture.Int("warmup"));

        Close.Elementwise(fixture.FinalState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm), state, 1e-5, name + " final state");
    }

    private static Loss LossOf(Fixture fixture) => fixture.Text("loss") switch
    {
        "mse" => Loss.Mse,
        "l1" => Loss.L1,
        "huber" => Loss.Huber,
        "cross_entropy" => Loss.CrossEntropy,
        string other => throw new InvalidOperationException("unknown loss " + other),
    };
}
