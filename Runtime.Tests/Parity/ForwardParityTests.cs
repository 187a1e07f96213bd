using System;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Parity;

/// <summary>
/// Inference against PyTorch's nn.RNN / nn.GRU / nn.LSTM + nn.Linear on the committed fixtures.
/// Tolerance 1e-5 relative to max(1, |value|): float32 sums in a different order than PyTorch's
/// (vector lanes, fused multiply-add) differ by a few ulps per step, and that grows slowly over 50 steps.
/// </summary>
public sealed class ForwardParityTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Names => new(FixtureModels.ForwardNames);

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_FromFixtureState_MatchesPyTorchOutputsAndFinalState(string name)
    {
        Fixture fixture = Fixture.Forward(name);
        IFixtureCase model = FixtureModels.Forward(name);
        float[] state = fixture.InitialState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm);

        float[] outputs = model.Forward(fixture.WeightsPath, state, fixture.Tensor("input"));

        Close.Elementwise(fixture.Tensor("output"), outputs, Tolerance, name + " outputs");
        Close.Elementwise(fixture.FinalState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm), state, Tolerance, name + " h_n/c_n");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Step_OneAtATime_MatchesPyTorchOutputsAndFinalState(string name)
    {
        Fixture fixture = Fixture.Forward(name);
        IFixtureCase model = FixtureModels.Forward(name);
        float[] state = fixture.InitialState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm);

        float[] outputs = model.Steps(fixture.WeightsPath, state, fixture.Tensor("input"));

        Close.Elementwise(fixture.Tensor("output"), outputs, Tolerance, name + " outputs");
        Close.Elementwise(fixture.FinalState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm), state, Tolerance, name + " h_n/c_n");
    }

    /// <summary>
    /// The fixtures of two steps or more: warming up needs a non-empty prefix (T must be positive) and leaves a
    /// non-empty tail. The one-step fixtures are covered by the two tests above.
    /// </summary>
    public static TheoryData<string> MultiStepNames => new(FixtureModels.ForwardNames.Where(name => Steps(name) >= 2));

    [Theory]
    [MemberData(nameof(MultiStepNames))]
    public void WarmUpThenForward_MatchesPyTorchTailOfTheSequence(string name)
    {
        Fixture fixture = Fixture.Forward(name);
        IFixtureCase model = FixtureModels.Forward(name);
        float[] state = fixture.InitialState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm);
        float[] inputs = fixture.Tensor("input");
        int warmUp = Steps(name) / 2;
        Assert.InRange(warmUp, 1, Steps(name) - 1);

        float[] outputs = model.WarmUpThenForward(fixture.WeightsPath, state, inputs, warmUp);

        float[] expected = fixture.Tensor("output").Skip(warmUp * model.OutputSize).ToArray();
        Close.Elementwise(expected, outputs, Tolerance, name + " outputs after warm-up");
        Close.Elementwise(fixture.FinalState(model.StateLength, model.NumLayers, model.HiddenSize, model.IsLstm), state, Tolerance, name + " h_n/c_n");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Load_FixtureWeights_PutsEveryTensorAtItsLayoutOffset(string name)
    {
        Fixture fixture = Fixture.Forward(name);
        IFixtureCase model = FixtureModels.Forward(name);
        SafeTensorFile weights = SafeTensorFile.Read(fixture.WeightsPath);

        float[] parameters = model.Load(fixture.WeightsPath);

        Assert.Equal(weights.Tensors.Select(t => t.Name), model.Layout.Select(p => p.Name));
        foreach (ParameterInfo info in model.Layout)
        {
            Assert.Equal(weights.ReadFloats(info.Name), parameters.AsSpan(info.Offset, info.Length).ToArray());
        }
    }

    private static int Steps(string name) => Fixture.Forward(name).Tensor("input").Length / FixtureModels.Forward(name).InputSize;
}

/// <summary>
/// Save writes what PyTorch reads: every fixture's weights go through Load then Save into
/// <c>roundtrip/</c> beside the tests; the bytes must load back identically here, and
/// <c>scripts/check_roundtrip_all.sh</c> (run by .ci/run) loads each saved file into PyTorch with
/// <c>load_state_dict(strict=True)</c> and checks its forward pass against the fixture.
/// </summary>
public sealed class SaveRoundTripTests
{
    public static string Folder => System.IO.Path.Combine(System.AppContext.BaseDirectory, "roundtrip");

    public static TheoryData<string> Names => new(FixtureModels.ForwardNames);

    [Theory]
    [MemberData(nameof(Names))]
    public void Save_LoadedFixture_WritesTheSameTensorsPyTorchWrote(string name)
    {
        Fixture fixture = Fixture.Forward(name);
        IFixtureCase model = FixtureModels.Forward(name);
        System.IO.Directory.CreateDirectory(Folder);
        string path = System.IO.Path.Combine(Folder, name + ".weights.safetensors");

        model.LoadThenSave(fixture.WeightsPath, path);

        SafeTensorFile original = SafeTensorFile.Read(fixture.WeightsPath);
        SafeTensorFile saved = SafeTensorFile.Read(path);
        Assert.Equal(original.Tensors.Select(t => (t.Name, t.DType, string.Join("x", t.Shape))), saved.Tensors.Select(t => (t.Name, t.DType, string.Join("x", t.Shape))));
        foreach (SafeTensorEntry tensor in original.Tensors)
        {
            Assert.Equal(original.ReadFloats(tensor.Name), saved.ReadFloats(tensor.Name));
        }
    }
}
