using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Fixed.Tests.Generator;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>
/// ONNX files written by <c>torch.onnx.export</c> (scripts/make_onnx_fixtures.py, Debian's PyTorch 1.13), imported at
/// compile time through the build's real route (Fixed.targets encodes each *.onnx AdditionalFiles item as base64 text,
/// since the compiler cannot hand a binary file to a generator): <see cref="OnnxGru"/>, <see cref="OnnxLstm"/> (two LSTM
/// nodes of one num_layers = 2 module, batch-first Transposes, Softmax), <see cref="OnnxRnn"/> (float_data initializers,
/// no biases) and <see cref="OnnxMlp"/> (Gemm nodes). Each reproduces PyTorch's outputs; Load reads the same files at run
/// time; what Fixed does not have is refused by name.
/// </summary>
public sealed class OnnxImportTests
{
    // PyTorch and Fixed both compute in float32, in different summation orders and with different tanh/sigmoid/exp: the
    // contract's 1e-5 between Fixed and PyTorch.
    private const double Tolerance = 1e-5;

    private static string PathOf(string name) => Path.Combine(Fixture.Root, "onnx", name);

    // Several features a line, separated by spaces (numpy.savetxt of a [T, F] array).
    private static float[] Csv(string name) =>
        File.ReadAllLines(PathOf(name)).Where(l => l.Length > 0)
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private static float[] Run<TModel>(TModel model, float[] inputs)
        where TModel : IRecurrentModel<TModel> => ReferenceOutputs.Run(model, inputs);

    // A step's outputs are one line: the values are compared in order, so "step" in a failure counts values.
    private static void AssertMatchesPyTorch(string name, float[] actual) =>
        ReferenceOutputs.AssertWithin(Csv(name + "_y.csv"), actual, Tolerance, "PyTorch", name + " ");

    [Fact]
    public void Gru_ReproducesPyTorchOutputs() => AssertMatchesPyTorch("gru", Run(new OnnxGru(), Csv("gru_x.csv")));

    [Fact]
    public void TwoLayerBatchFirstLstmWithSoftmax_ReproducesPyTorchOutputs() => AssertMatchesPyTorch("lstm", Run(new OnnxLstm(), Csv("lstm_x.csv")));

    [Fact]
    public void RnnWithoutBiasFromFloatData_ReproducesPyTorchOutputs() => AssertMatchesPyTorch("rnn", Run(new OnnxRnn(), Csv("rnn_x.csv")));

    [Fact]
    public void GemmMlp_ReproducesPyTorchOutputs() => AssertMatchesPyTorch("mlp", Run(new OnnxMlp(), Csv("mlp_x.csv")));

    [Fact]
    public void Layers_AreNamedByTheirTorchModules_AndOneModulesNodesAreOneLayer()
    {
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "linear.weight", "linear.bias"],
            OnnxGru.Layout.ToArray().Select(p => p.Name));
        Assert.Equal(2, OnnxLstm.NumLayers);
        Assert.Equal(
            [
                "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
                "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1", "head.weight", "head.bias",
            ],
            OnnxLstm.Layout.ToArray().Select(p => p.Name));
        Assert.Equal(["rnn.weight_ih_l0", "rnn.weight_hh_l0", "fc1.weight", "fc1.bias", "fc2.weight"], OnnxRnn.Layout.ToArray().Select(p => p.Name));
        Assert.Equal(["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"], OnnxMlp.Layout.ToArray().Select(p => p.Name));
    }

    [Fact]
    public void Load_SameFileAtRunTime_GivesTheCompiledInWeights()
    {
        var gru = new OnnxGru(4);
        gru.Load(PathOf("gru.onnx"));
        Assert.Equal(new OnnxGru().Parameters.ToArray(), gru.Parameters.ToArray());

        var lstm = new OnnxLstm(4);
        using (FileStream stream = File.OpenRead(PathOf("lstm.onnx")))
        {
            lstm.Load(stream);
        }

        Assert.Equal(new OnnxLstm().Parameters.ToArray(), lstm.Parameters.ToArray());
    }

    [Fact]
    public void Load_OtherArchitecture_ThrowsNamingIt_AndChangesNothing()
    {
        var gru = new OnnxGru(4);
        float[] before = gru.Parameters.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => gru.Load(PathOf("lstm.onnx")));

        Assert.Contains("ONNX file holds another architecture", error.Message, StringComparison.Ordinal);
        Assert.Contains("lstm: LSTM(3, 6, num_layers=2)", error.Message, StringComparison.Ordinal);
        Assert.Contains("rnn: GRU(1, 8)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, gru.Parameters.ToArray());
    }

    [Theory]
    [InlineData("gru_linear_before_reset_0", "linear_before_reset = 0")]
    [InlineData("gru_bidirectional", "runs in the direction 'bidirectional'")]
    [InlineData("rnn_relu", "has the activations 'Relu'")]
    [InlineData("lstm_clip", "has the attribute clip")]
    [InlineData("conv1d", "'Conv' node '/rnn/Conv' is on the path from the input to the output, and Fixed has no such layer")]
    [InlineData("returns_state", "2 outputs")]
    [InlineData("h0_input", "2 inputs")]
    public void UnsupportedModel_IsRefusedNamingWhat(string name, string fragment)
    {
        byte[] bytes = File.ReadAllBytes(PathOf(Path.Combine("refused", name + ".onnx")));

        var error = Assert.Throws<UnsupportedModelException>(() => ModelFileFormats.Import(bytes));

        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"m.onnx\")] public partial class M;", [EncodedOnnx("/p/m.onnx", bytes)]);
        Diagnostic053(run, fragment);
    }

    [Fact]
    public void Generator_OnnxFileNotEncoded_ReportsFIXED052NamingFixedTargets()
    {
        // What the compiler gives a generator for an ONNX file listed without Fixed.targets: no text (CS2015).
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"m.onnx\")] public partial class M;", [new TestAdditionalText("/p/m.onnx", null)]);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FIXED052", diagnostic.Id);
        Assert.Contains("build/Fixed.targets", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Generator_EncodedOnnxFile_EmitsTheSameModelAsTheBuild()
    {
        byte[] bytes = File.ReadAllBytes(PathOf("gru.onnx"));

        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[ModelFile(\"gru.onnx\")] public partial class G;", [EncodedOnnx("/p/gru.onnx", bytes)]);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Contains("rnn: GRU(1, 8); linear: Linear(8, 1)", string.Concat(run.GeneratedSources.Select(s => s.SourceText.ToString())), StringComparison.Ordinal);
    }

    [Fact]
    public void Import_TruncatedOrNotOnnx_ThrowsInvalidDataSayingWhere()
    {
        byte[] bytes = File.ReadAllBytes(PathOf("gru.onnx"));

        var truncated = Assert.Throws<InvalidDataException>(() => ModelFileFormats.Import(bytes[..(bytes.Length / 2)]));
        var binary = Assert.Throws<InvalidDataException>(() => ModelFileFormats.Import([0x80, 0x00, 0x00, 0xFF]));

        Assert.Contains("not a valid protobuf message", truncated.Message, StringComparison.Ordinal);
        Assert.Contains("neither an ONNX model", binary.Message, StringComparison.Ordinal);
    }

    /// <summary>The AdditionalText the compiler gives the generator for an ONNX file that Fixed.targets encoded.</summary>
    internal static TestAdditionalText EncodedOnnx(string path, byte[] bytes) =>
        new(path, "fixed-onnx-base64 (test)\n" + Convert.ToBase64String(bytes, Base64FormattingOptions.InsertLineBreaks));

    private static void Diagnostic053(GeneratorRun run, string fragment)
    {
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FIXED053", diagnostic.Id);
        Assert.Contains(fragment, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
