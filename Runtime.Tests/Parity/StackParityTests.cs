using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Parity;

/// <summary>One layer-stack fixture written by scripts/make_stack_fixtures.py: Fixtures/stack/&lt;name&gt;.{weights,data}.safetensors.</summary>
public sealed class StackFixture
{
    public StackFixture(string name)
    {
        Name = name;
        Model = StackFixtureModels.Stack(name);
        WeightsPath = Path.Combine(Fixture.Root, "stack", name + ".weights.safetensors");
        Data = Fixture.Data(Path.Combine("stack", name + ".data.safetensors"));
    }

    public string Name { get; }

    public IStackFixtureCase Model { get; }

    public string WeightsPath { get; }

    public SafeTensorFile Data { get; }

    public bool IsSingle => Text("mode") switch
    {
        "single" => true,
        "batched" => false,
        string other => throw new InvalidDataException(Name + ": unknown mode " + other),
    };

    public int WarmUp => Int("warmup");

    public int Steps => Int("seq_len");

    public Loss Loss => Text("loss") switch
    {
        "mse" => Loss.Mse,
        "l1" => Loss.L1,
        "huber" => Loss.Huber,
        "cross_entropy" => Loss.CrossEntropy,
        string other => throw new InvalidDataException(Name + ": unknown loss " + other),
    };

    public LossOn On => Text("loss_on") switch
    {
        "all" => LossOn.AllSteps,
        "last" => LossOn.LastStep,
        string other => throw new InvalidDataException(Name + ": unknown loss_on " + other),
    };

    public SequenceLayout Layout => Text("layout") switch
    {
        "batch_first" => SequenceLayout.BatchFirst,
        "time_first" => SequenceLayout.TimeFirst,
        string other => throw new InvalidDataException(Name + ": no batched layout " + other),
    };

    public float[] Tensor(string name) => Data.ReadFloats(name);

    public string Text(string key) => Data.Metadata[key];

    public int Int(string key) => int.Parse(Text(key), CultureInfo.InvariantCulture);

    public float Float(string key) => float.Parse(Text(key), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>A ';'-separated metadata list; empty for an empty string.</summary>
    public string[] List(string key) => Text(key).Length == 0 ? [] : Text(key).Split(';');

    /// <summary>The fixture's per-parameter tensors <c>{prefix}{state_dict name}</c>, flat in the model's Layout.</summary>
    public float[] Flat(string prefix)
    {
        var flat = new float[Model.ParameterCount];
        foreach (ParameterInfo info in Model.Layout)
        {
            float[] values = Tensor(prefix + info.Name);
            Assert.Equal(info.Length, values.Length);
            values.CopyTo(flat, info.Offset);
        }

        return flat;
    }

    /// <summary>The gradients after PyTorch's clip_grad_norm_: grad.* times clip_coef, the float32 product it computes.</summary>
    public float[] ClippedGradients()
    {
        float coef = Tensor("clip_coef")[0];
        float[] clipped = Flat("grad.");
        for (int i = 0; i < clipped.Length; i++)
        {
            clipped[i] *= coef;
        }

        return clipped;
    }

    public float[] InitialState() => Model.State(Data, "h0", "c0");

    public float[] FinalState() => Model.State(Data, "h_n", "c_n");

    public (float Loss, float ClipTotal, float[] Gradients) Backward(float? maxNorm = null) => IsSingle
        ? Model.BackwardSingle(WeightsPath, InitialState(), Tensor("input"), Tensor("targets"), Loss, On, WarmUp, maxNorm)
        : Model.BackwardBatched(WeightsPath, Tensor("input"), Tensor("targets"), Int("batch"), Loss, On, WarmUp, Layout, maxNorm);
}

/// <summary>
/// Layer stacks ([Recurrent] / [Linear] / activation attributes in nn.Sequential order) against PyTorch on the committed
/// fixtures (scripts/make_stack_fixtures.py): inference within 1e-5 relative to max(1, |value|) as
/// <see cref="ForwardParityTests"/>; the loss within 1e-5 and every gradient tensor within 1e-4 of its scale as
/// <see cref="GradientParityTests"/>; clip_grad_norm_ and one torch.optim.Adam step within 1e-5 from PyTorch's own gradients.
/// Single-sequence and batched fixtures are separate theory data, so no test returns without checking.
/// </summary>
public sealed class StackParityTests
{
    private const double Tolerance = 1e-5;
    private const double GradientTolerance = 1e-4;

    public static TheoryData<string> Names => new(StackFixtureModels.StackNames);

    public static TheoryData<string> SingleNames => new(StackFixtureModels.StackSingleNames);

    public static TheoryData<string> BatchedNames => new(StackFixtureModels.StackBatchedNames);

    [Fact]
    public void Names_SingleAndBatched_PartitionEveryStackByItsFixtureMode()
    {
        Assert.Equal(StackFixtureModels.StackNames.Order(StringComparer.Ordinal).ToArray(),
            StackFixtureModels.StackSingleNames.Concat(StackFixtureModels.StackBatchedNames).Order(StringComparer.Ordinal).ToArray());
        Assert.All(StackFixtureModels.StackSingleNames, name => Assert.True(new StackFixture(name).IsSingle, name));
        Assert.All(StackFixtureModels.StackBatchedNames, name => Assert.False(new StackFixture(name).IsSingle, name));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Shape_MatchesTheFixture(string name)
    {
        var fixture = new StackFixture(name);
        IStackFixtureCase model = fixture.Model;
        SafeTensorFile weights = SafeTensorFile.Read(fixture.WeightsPath);

        Assert.Equal(fixture.Int("input_size"), model.InputSize);
        Assert.Equal(fixture.Int("output_size"), model.OutputSize);
        Assert.Equal(fixture.Int("window"), model.Window);
        Assert.Equal(weights.Tensors.Sum(t => (int)t.ElementCount), model.ParameterCount);
        Assert.True(fixture.Steps <= model.Window, name + ": the fixture's sequence is longer than the Window");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Layout_IsTheStateDictInOrder_Contiguous(string name)
    {
        var fixture = new StackFixture(name);
        IStackFixtureCase model = fixture.Model;
        SafeTensorFile weights = SafeTensorFile.Read(fixture.WeightsPath);

        Assert.Equal(fixture.List("state_dict"), model.Layout.Select(p => p.Name));
        Assert.Equal(weights.Tensors.Select(t => t.Name), model.Layout.Select(p => p.Name));
        int offset = 0;
        foreach (ParameterInfo info in model.Layout)
        {
            Assert.True(weights.TryGetTensor(info.Name, out SafeTensorEntry entry), info.Name);
            Assert.Equal(entry.Shape.ToArray(), info.Shape.ToArray());
            Assert.Equal(offset, info.Offset);
            offset += info.Length;
        }

        Assert.Equal(model.ParameterCount, offset);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StateLayout_IsEveryRecurrentLayerInStackOrder_HThenC_Contiguous(string name)
    {
        var fixture = new StackFixture(name);
        IStackFixtureCase model = fixture.Model;

        Assert.Equal(fixture.List("state_layout"), model.StateLayout.Select(p => p.Name));
        int offset = 0;
        foreach (ParameterInfo info in model.StateLayout)
        {
            Assert.Single(info.Shape);
            Assert.True(info.Length > 0, info.Name);
            Assert.Equal(offset, info.Offset);
            offset += info.Length;
        }

        Assert.Equal(model.StateLength, offset);
    }

    [Theory]
    [MemberData(nameof(SingleNames))]
    public void StateLayout_Sizes_AreTheFixtureStates(string name)
    {
        var fixture = new StackFixture(name);
        IStackFixtureCase model = fixture.Model;

        // State() throws unless every StateLayout entry is a row of h0.<layer> / c0.<layer> of its size and every float is covered.
        float[] state = fixture.InitialState();

        int fixtureFloats = fixture.Data.Tensors.Where(t => t.Name.StartsWith("h0.", StringComparison.Ordinal) || t.Name.StartsWith("c0.", StringComparison.Ordinal))
            .Sum(t => (int)t.ElementCount);
        Assert.Equal(fixtureFloats, model.StateLength);
        Assert.Equal(model.StateLength, state.Length);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Load_FixtureWeights_PutsEveryTensorAtItsLayoutOffset(string name)
    {
        var fixture = new StackFixture(name);
        SafeTensorFile weights = SafeTensorFile.Read(fixture.WeightsPath);

        float[] parameters = fixture.Model.Load(fixture.WeightsPath);

        foreach (ParameterInfo info in fixture.Model.Layout)
        {
            Assert.Equal(weights.ReadFloats(info.Name), parameters.AsSpan(info.Offset, info.Length).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(SingleNames))]
    public void Forward_FromH0_MatchesPyTorchOutputsAndFinalState(string name)
    {
        var fixture = new StackFixture(name);
        float[] state = fixture.InitialState();

        float[] outputs = fixture.Model.Forward(fixture.WeightsPath, state, fixture.Tensor("input"));

        Close.Elementwise(fixture.Tensor("forward_output"), outputs, Tolerance, name + " outputs");
        Close.Elementwise(fixture.FinalState(), state, Tolerance, name + " h_n/c_n");
    }

    [Theory]
    [MemberData(nameof(SingleNames))]
    public void Step_OneAtATime_MatchesPyTorchOutputsAndFinalState(string name)
    {
        var fixture = new StackFixture(name);
        float[] state = fixture.InitialState();

        float[] outputs = fixture.Model.Steps(fixture.WeightsPath, state, fixture.Tensor("input"));

        Close.Elementwise(fixture.Tensor("forward_output"), outputs, Tolerance, name + " outputs");
        Close.Elementwise(fixture.FinalState(), state, Tolerance, name + " h_n/c_n");
    }

    [Theory]
    [MemberData(nameof(SingleNames))]
    public void WarmUpThenForward_MatchesPyTorchTailOfTheSequence(string name)
    {
        var fixture = new StackFixture(name);
        IStackFixtureCase model = fixture.Model;
        float[] state = fixture.InitialState();
        int warmUp = fixture.Steps / 2;
        Assert.True(warmUp > 0, name + ": the fixture is too short to warm up");

        float[] outputs = model.WarmUpThenForward(fixture.WeightsPath, state, fixture.Tensor("input"), warmUp);

        float[] expected = fixture.Tensor("forward_output").Skip(warmUp * model.OutputSize).ToArray();
        Close.Elementwise(expected, outputs, Tolerance, name + " outputs after warm-up");
        Close.Elementwise(fixture.FinalState(), state, Tolerance, name + " h_n/c_n");
    }

    /// <summary>
    /// Each sequence of a batched fixture, run alone from the zero state: its outputs after the warm-up (all steps, or the
    /// last) are the fixture's <c>output</c> (a warm-up only advances the state, so it gives the outputs Forward gives).
    /// </summary>
    [Theory]
    [MemberData(nameof(BatchedNames))]
    public void Forward_EachBatchedSequence_MatchesPyTorchOutputs(string name)
    {
        var fixture = new StackFixture(name);
        IStackFixtureCase model = fixture.Model;
        int batch = fixture.Int("batch"), steps = fixture.Steps, warmUp = fixture.WarmUp;
        int inputSize = model.InputSize, outputSize = model.OutputSize;
        bool timeFirst = fixture.Layout == SequenceLayout.TimeFirst;
        bool all = fixture.On == LossOn.AllSteps;
        float[] inputs = fixture.Tensor("input");
        float[] output = fixture.Tensor("output");
        int kept = all ? steps - warmUp : 1;
        Assert.Equal(batch * steps * inputSize, inputs.Length);
        Assert.Equal(batch * kept * outputSize, output.Length);

        for (int b = 0; b < batch; b++)
        {
            var sequence = new float[steps * inputSize];
            for (int t = 0; t < steps; t++)
            {
                int from = (timeFirst ? t * batch + b : b * steps + t) * inputSize;
                Array.Copy(inputs, from, sequence, t * inputSize, inputSize);
            }

            float[] outputs = model.Forward(fixture.WeightsPath, new float[model.StateLength], sequence);

            var expected = new float[kept * outputSize];
            var actual = new float[kept * outputSize];
            for (int j = 0; j < kept; j++)
            {
                int t = all ? warmUp + j : steps - 1;
                int from = (all && timeFirst ? j * batch + b : b * kept + j) * outputSize;
                Array.Copy(output, from, expected, j * outputSize, outputSize);
                Array.Copy(outputs, t * outputSize, actual, j * outputSize, outputSize);
            }

            Close.Elementwise(expected, actual, Tolerance, string.Create(CultureInfo.InvariantCulture, $"{name} sequence {b} outputs"));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_Fixture_MatchesPyTorchLossAndGradients(string name)
    {
        var fixture = new StackFixture(name);

        (float loss, _, float[] gradients) = fixture.Backward();

        Close.Elementwise(fixture.Tensor("loss"), [loss], Tolerance, name + " loss");
        foreach (ParameterInfo info in fixture.Model.Layout)
        {
            Close.Tensor(fixture.Tensor("grad." + info.Name), gradients.AsSpan(info.Offset, info.Length), GradientTolerance, name + " grad." + info.Name);
        }
    }

    [Theory]
    [MemberData(nameof(SingleNames))]
    public void Backward_SingleSequence_LeavesStateAtTheSequenceEnd(string name)
    {
        var fixture = new StackFixture(name);
        float[] state = fixture.InitialState();

        fixture.Model.BackwardSingle(fixture.WeightsPath, state, fixture.Tensor("input"), fixture.Tensor("targets"), fixture.Loss, fixture.On, fixture.WarmUp);

        Close.Elementwise(fixture.FinalState(), state, Tolerance, name + " final state");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ClipGradNorm_PyTorchGradients_ReturnsTheTotalNormAndClips(string name)
    {
        var fixture = new StackFixture(name);

        (float total, float[] clipped) = fixture.Model.ClipGradNorm(fixture.WeightsPath, fixture.Flat("grad."), fixture.Float("max_norm"));

        Close.Elementwise(fixture.Tensor("clip_total"), [total], Tolerance, name + " clip total");
        Assert.True(total > fixture.Float("max_norm"), name + ": the fixture's gradients are not clipped");
        Close.Elementwise(fixture.ClippedGradients(), clipped, Tolerance, name + " clipped gradients");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BackwardThenClipGradNorm_MatchesPyTorch(string name)
    {
        var fixture = new StackFixture(name);

        (_, float total, float[] clipped) = fixture.Backward(fixture.Float("max_norm"));

        // The total of gradients that match PyTorch's within 1e-4 of each tensor's scale.
        Close.Elementwise(fixture.Tensor("clip_total"), [total], GradientTolerance, name + " clip total");
        float[] expected = fixture.ClippedGradients();
        foreach (ParameterInfo info in fixture.Model.Layout)
        {
            Close.Tensor(expected.AsSpan(info.Offset, info.Length), clipped.AsSpan(info.Offset, info.Length), GradientTolerance, name + " clipped " + info.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Adam_OneStepOnTheClippedGradients_MatchesTorchOptimAdam(string name)
    {
        var fixture = new StackFixture(name);

        float[] parameters = fixture.Model.AdamStep(fixture.WeightsPath, fixture.ClippedGradients(), fixture.Float("adam_lr"));

        foreach (ParameterInfo info in fixture.Model.Layout)
        {
            Close.Elementwise(fixture.Tensor("adam." + info.Name), parameters.AsSpan(info.Offset, info.Length), Tolerance, name + " adam." + info.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void SaveThenLoad_FreshModel_HasIdenticalParametersAndTheStateDictNames(string name)
    {
        var fixture = new StackFixture(name);
        string folder = Path.Combine(AppContext.BaseDirectory, "roundtrip-stack");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name + ".weights.safetensors");

        (float[] saved, float[] reloaded) = fixture.Model.SaveThenLoad(fixture.WeightsPath, path);

        Assert.Equal(fixture.Model.Load(fixture.WeightsPath), saved);
        Assert.Equal(saved, reloaded);
        SafeTensorFile original = SafeTensorFile.Read(fixture.WeightsPath);
        SafeTensorFile written = SafeTensorFile.Read(path);
        Assert.Equal(Describe(original), Describe(written));
        foreach (SafeTensorEntry tensor in original.Tensors)
        {
            Assert.Equal(original.ReadFloats(tensor.Name), written.ReadFloats(tensor.Name));
        }
    }

    private static IEnumerable<(string Name, string DType, string Shape)> Describe(SafeTensorFile file) =>
        file.Tensors.Select(t => (t.Name, t.DType, string.Join("x", t.Shape))).ToArray();
}
