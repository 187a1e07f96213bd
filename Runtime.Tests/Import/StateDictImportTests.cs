using System;
using System.IO;
using System.Linq;
using Fixed.Tests.Generator;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>
/// PyTorch state_dicts as JSON (scripts/make_statedict_json_fixtures.py, Debian's PyTorch), imported at compile time:
/// <see cref="TorchStateDictStack"/> (a plain state_dict of four modules, one with num_layers=2) and
/// <see cref="GuitarAmpLstm"/> (the guitar-amp trainers' model_data + state_dict file). Each reproduces the outputs
/// PyTorch computed; Load reads the same files at run time; what a state_dict cannot say is refused by name.
/// </summary>
public sealed class StateDictImportTests
{
    // PyTorch and Fixed both compute in float32, in different summation orders and with different tanh/sigmoid: the
    // contract's 1e-5 between Fixed and PyTorch.
    private const double Tolerance = 1e-5;

    private static string PathOf(string name) => Path.Combine(Fixture.Root, "statedict", name);

    private static float[] Csv(string name) => ReferenceOutputs.Csv(PathOf(name));

    private static float[] Run<TModel>(TModel model, float[] inputs)
        where TModel : IRecurrentModel<TModel>
    {
        var state = new float[TModel.StateLength];
        var outputs = new float[inputs.Length / TModel.InputSize * TModel.OutputSize];
        model.Forward(state, inputs, outputs);
        return outputs;
    }

    private static void AssertMatchesPyTorch(float[] expected, float[] actual) => ReferenceOutputs.AssertWithin(expected, actual, Tolerance, "PyTorch");

    [Fact]
    public void PlainStateDict_ReproducesPyTorchOutputs()
    {
        Assert.Equal(1, TorchStateDictStack.InputSize);
        Assert.Equal(4, TorchStateDictStack.NumLayers);
        AssertMatchesPyTorch(Csv("stack_y.csv"), Run(new TorchStateDictStack(), Csv("stack_x.csv")));
    }

    [Fact]
    public void GuitarAmpFile_ReproducesPyTorchOutputs()
    {
        Assert.Equal(6, GuitarAmpLstm.HiddenSize);
        AssertMatchesPyTorch(Csv("amp_y.csv"), Run(new GuitarAmpLstm(), Csv("amp_x.csv")));
    }

    [Fact]
    public void Modules_KeepTheirStateDictNamesAndOrder()
    {
        string[] expected =
        [
            "gru.weight_ih_l0", "gru.weight_hh_l0", "gru.bias_ih_l0", "gru.bias_hh_l0",
            "gru2.weight_ih_l0", "gru2.weight_hh_l0", "gru2.bias_ih_l0", "gru2.bias_hh_l0",
            "gru2.weight_ih_l1", "gru2.weight_hh_l1", "gru2.bias_ih_l1", "gru2.bias_hh_l1",
            "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
            "dense.weight", "dense.bias",
        ];
        Assert.Equal(expected, TorchStateDictStack.Layout.ToArray().Select(p => p.Name));
        Assert.Equal(["rec.weight_ih_l0", "rec.weight_hh_l0", "rec.bias_ih_l0", "rec.bias_hh_l0", "lin.weight", "lin.bias"],
            GuitarAmpLstm.Layout.ToArray().Select(p => p.Name));
    }

    [Fact]
    public void Load_SameFileAtRunTime_GivesTheCompiledInWeights()
    {
        var model = new TorchStateDictStack(4);
        model.Load(PathOf("stack.json"));
        Assert.Equal(new TorchStateDictStack().Parameters.ToArray(), model.Parameters.ToArray());

        var amp = new GuitarAmpLstm(4);
        amp.Load(PathOf("amp.json"));
        Assert.Equal(new GuitarAmpLstm().Parameters.ToArray(), amp.Parameters.ToArray());
    }

    [Fact]
    public void Load_OtherArchitecture_ThrowsNamingIt_AndChangesNothing()
    {
        var amp = new GuitarAmpLstm(4);
        float[] before = amp.Parameters.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => amp.Load(PathOf("stack.json")));

        Assert.Contains("gru: GRU(1, 8)", error.Message, StringComparison.Ordinal);
        Assert.Contains("rec: LSTM(1, 6)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, amp.Parameters.ToArray());
    }

    [Fact]
    public void SkipConnection_IsRefusedNamingIt()
    {
        string text = File.ReadAllText(PathOf("amp.json")).Replace("\"skip\": 0", "\"skip\": 1", StringComparison.Ordinal);

        var error = Assert.Throws<UnsupportedModelException>(() => ModelFileFormats.Import(text));

        Assert.Contains("\"model_data\".\"skip\" is the number 1", error.Message, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"amp.json\")] public partial class Amp;", [new TestAdditionalText("/p/amp.json", text)]);
        Assert.Equal("FIXED053", Assert.Single(run.GeneratorDiagnostics).Id);
    }

    [Theory]
    [InlineData("{\"conv.weight\": [[[1.0]]], \"conv.bias\": [0.5]}", "conv.weight is a tensor of 3 or more dimensions")]
    [InlineData("{\"rnn.weight_ih_l0\": [[1.0]], \"rnn.weight_hh_l0\": [[1.0]], \"rnn.weight_ih_l0_reverse\": [[1.0]], \"rnn.weight_hh_l0_reverse\": [[1.0]]}", "bidirectional")]
    [InlineData("{\"a.weight\": [[1.0, 2.0]], \"b.weight\": [[1.0, 2.0]]}", "do not chain")]
    [InlineData("{\"rnn.weight_ih_l0\": [[1.0], [2.0]], \"rnn.weight_hh_l0\": [[1.0], [2.0]]}", "G = 1 (RNN), 3 (GRU) or 4 (LSTM)")]
    [InlineData("{\"norm.running_mean\": [1.0], \"fc.weight\": [[1.0]]}", "'norm' has the tensors")]
    public void InvalidOrUnsupportedStateDict_IsRefusedNamingTheModule(string json, string fragment)
    {
        Exception error = Assert.ThrowsAny<Exception>(() => ModelFileFormats.Import(json));

        Assert.True(error is InvalidDataException or UnsupportedModelException, error.GetType().Name);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }
}
