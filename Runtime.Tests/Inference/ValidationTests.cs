using System;
using Xunit;

namespace Fixed.Tests.Inference;

/// <summary>No broadcasting: every wrong length is an ArgumentException naming the parameter and the shape, and changes nothing.</summary>
public sealed class ValidationTests
{
    [Fact]
    public void Step_WrongInputLength_ThrowsNamingShapeAndLeavesStateAlone()
    {
        var model = new SmallRnn(1);
        var state = default(SmallRnn.State);
        state.Hidden(0).Fill(0.25f);
        float[] before = state.Values.ToArray();
        var output = new float[SmallRnn.OutputSize];

        ArgumentException error = Assert.Throws<ArgumentException>(() => model.Step(ref state, new float[2], output));

        Assert.Equal("input", error.ParamName);
        Assert.Contains("expected 3 floats", error.Message);
        Assert.Contains("[InputSize=3]", error.Message);
        Assert.Contains("got 2", error.Message);
        Assert.Equal(before, state.Values.ToArray());
    }

    [Fact]
    public void Step_WrongOutputLength_Throws()
    {
        var model = new SmallRnn(1);
        var state = default(SmallRnn.State);

        ArgumentException error = Assert.Throws<ArgumentException>(() => model.Step(ref state, new float[3], new float[SmallRnn.OutputSize + 1]));

        Assert.Equal("output", error.ParamName);
        Assert.Equal(new float[SmallRnn.StateLength], state.Values.ToArray());
    }

    [Fact]
    public void Forward_OutputsForAnotherLength_ThrowsBeforeWriting()
    {
        var model = new SmallRnn(1);
        var state = default(SmallRnn.State);
        var outputs = new float[4 * SmallRnn.OutputSize + 1];

        ArgumentException error = Assert.Throws<ArgumentException>(() => model.Forward(ref state, new float[4 * 3], outputs));

        Assert.Equal("outputs", error.ParamName);
        Assert.Contains("[T=4, OutputSize=2]", error.Message);
        Assert.All(outputs, o => Assert.Equal(0f, o));
        Assert.Equal(new float[SmallRnn.StateLength], state.Values.ToArray());
    }

    [Fact]
    public void Forward_InputsNotAWholeNumberOfSteps_Throws()
    {
        var model = new SmallRnn(1);
        var state = default(SmallRnn.State);

        ArgumentException error = Assert.Throws<ArgumentException>(() => model.Forward(ref state, new float[7], new float[4]));

        Assert.Equal("inputs", error.ParamName);
        Assert.Contains("multiple of 3", error.Message);
    }

    [Fact]
    public void Backward_TargetsOfBroadcastableShape_ThrowsInsteadOfBroadcasting()
    {
        // PyTorch's classic bug: a (32, 1) output against a (32,) target broadcasts to (32, 32). Here it cannot.
        var model = new RnnRegression(1);
        var inputs = new float[32 * 4];

        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            model.Backward(inputs, new float[32 * 32], batchSize: 32, Loss.Mse, LossOn.LastStep));

        Assert.Equal("targets", error.ParamName);
        Assert.Contains("expected 32 floats", error.Message);
        Assert.Contains("[B=32, OutputSize=1]", error.Message);
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Backward_SequenceLongerThanWindow_ExplainsWindowAndTruncatedBptt()
    {
        var model = new SmallRnn(1);
        var state = default(SmallRnn.State);
        var inputs = new float[(SmallRnn.Window + 1) * 3];
        var targets = new float[(SmallRnn.Window + 1) * SmallRnn.OutputSize];

        ArgumentException error = Assert.Throws<ArgumentException>(() => model.Backward(ref state, inputs, targets));

        Assert.Contains("Window is 12", error.Message);
        Assert.Contains("truncated BPTT", error.Message);
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    [Theory]
    [InlineData(2.5f)]
    [InlineData(-1f)]
    [InlineData(2f)]
    [InlineData(float.NaN)]
    public void Backward_CrossEntropyTargetNotAClassIndex_ThrowsAndChangesNothing(float target)
    {
        var model = new SmallRnn(1);
        var state = default(SmallRnn.State);
        var inputs = new float[3 * 3];

        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            model.Backward(ref state, inputs, [0f, 1f, target], Loss.CrossEntropy, LossOn.AllSteps));

        Assert.Contains("class index", error.Message);
        Assert.All(model.Gradients.ToArray(), g => Assert.Equal(0f, g));
        Assert.Equal(new float[SmallRnn.StateLength], state.Values.ToArray());
    }

    [Fact]
    public void Backward_WarmUpCoveringTheWholeSequence_Throws()
    {
        var model = new SmallRnn(1);
        var state = default(SmallRnn.State);

        Assert.Throws<ArgumentOutOfRangeException>(() => model.Backward(ref state, new float[4 * 3], new float[SmallRnn.OutputSize], Loss.Mse, LossOn.LastStep, warmUp: 4));
    }

    [Fact]
    public void State_HiddenOfMissingLayer_Throws()
    {
        var state = default(SmallLstm.State);

        Assert.Throws<ArgumentOutOfRangeException>(() => state.Hidden(2).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => state.Cell(-1).Length);
    }

    [Fact]
    public void State_HiddenAndCell_AreTheLayersSlicesOfValues()
    {
        var state = default(SmallLstm.State);
        state.Hidden(1)[0] = 1f;
        state.Cell(1)[3] = 2f;

        Assert.Equal(1f, state.Values[2 * SmallLstm.HiddenSize]);
        Assert.Equal(2f, state.Values[3 * SmallLstm.HiddenSize + 3]);
        Assert.Equal(16, SmallLstm.StateLength);
    }

    [Fact]
    public void Constructor_SameSeed_BitIdenticalWeights_InPyTorchRange()
    {
        var a = new Gru32(seed: 5);
        var b = new Gru32(seed: 5);
        var c = new Gru32(seed: 6);

        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.NotEqual(a.Parameters.ToArray(), c.Parameters.ToArray());
        float bound = 1f / MathF.Sqrt(32);
        Assert.All(a.Parameters.ToArray(), p => Assert.InRange(p, -bound, bound));
        Assert.Equal(new Gru32().Parameters.ToArray(), new Gru32(ParameterInitializer.DefaultSeed).Parameters.ToArray());
    }

    [Fact]
    public void Parameters_WrittenByUser_SeenByNextStep()
    {
        var model = new RnnRegression(1);
        var state = default(RnnRegression.State);
        var output = new float[1];
        model.Parameters.Clear();
        model.Parameters[^1] = 0.75f; // linear.bias

        model.Step(ref state, [1f], output);

        Assert.Equal(0.75f, output[0]);
    }
}
