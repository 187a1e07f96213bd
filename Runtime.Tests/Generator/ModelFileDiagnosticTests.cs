using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// FIXED050..FIXED055: every problem with a <c>[ModelFile]</c> is a compile error on the attribute's path argument that
/// names the file and the problem (the layer, the activation, the place in the JSON); no code is generated for that
/// class, and nothing else fails to compile. A valid file compiles under the strictest warning settings.
/// </summary>
public sealed class ModelFileDiagnosticTests
{
    private const string PathArgument = "\"amp.json\"";
    private const string Model = "using Fixed;\n[ModelFile(" + PathArgument + ")] public partial class Amp;";

    private static string RealFile(string name) => File.ReadAllText(Path.Combine(Fixture.Root, "rtneural", name));

    private static GeneratorRun RunInvalid(string source, params TestAdditionalText[] files)
    {
        GeneratorRun run = GeneratorHarness.Run(source, files);
        Assert.Empty(run.GeneratedSources);
        Assert.True(run.CompilationErrors.IsEmpty, GeneratorHarness.Describe(run.CompilationErrors));
        return run;
    }

    private static string Layer(string type, string activation, int width, string weights) =>
        "{\"type\": \"" + type + "\", \"activation\": \"" + activation + "\", \"shape\": [null, null, " + width + "], \"weights\": " + weights + "}";

    private static string Json(params string[] layers) => "{\"in_shape\": [null, null, 1], \"layers\": [" + string.Join(", ", layers) + "]}";

    [Fact]
    public void RealFile_CompilesWithEveryWarningAsAnError()
    {
        GeneratorRun run = GeneratorHarness.Run(Model.Replace("[ModelFile", "/// <summary>An amp.</summary>\n[ModelFile", System.StringComparison.Ordinal),
            [new TestAdditionalText("/p/models/amp.json", RealFile("gru_1d.json"))], GeneratorHarness.StrictOptions);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.CompilationDiagnostics.IsEmpty, GeneratorHarness.Describe(run.CompilationDiagnostics));
        string source = Assert.Single(run.GeneratedSources).SourceText.ToString();
        Assert.Contains("from the model file \"amp.json\" named by [ModelFile] on Amp", source, System.StringComparison.Ordinal);
        Assert.Contains("private const string FixedModelFileArchitecture = \"gru0: GRU(1, 8); dense1: Linear(8, 8); Sigmoid; dense2: Linear(8, 1)\";", source, System.StringComparison.Ordinal);
    }

    [Fact]
    public void SameFile_GeneratesByteIdenticalSource()
    {
        var file = new TestAdditionalText("/p/amp.json", RealFile("lstm_1d.json"));
        string first = Assert.Single(GeneratorHarness.Run(Model, [file]).GeneratedSources).SourceText.ToString();
        string second = Assert.Single(GeneratorHarness.Run(Model, [file]).GeneratedSources).SourceText.ToString();

        Assert.Equal(first, second);
    }

    [Fact]
    public void NotInAdditionalFiles_ReportsFIXED050() =>
        DiagnosticAssert.Reports(RunInvalid(Model, new TestAdditionalText("/p/other.json", RealFile("gru_1d.json"))),
            "FIXED050", PathArgument, "'amp.json' is not among the project's AdditionalFiles", "<AdditionalFiles Include=\"amp.json\" />");

    [Fact]
    public void TwoItemsOfThatName_ReportsFIXED051() =>
        DiagnosticAssert.Reports(
            RunInvalid(Model, new TestAdditionalText("/p/a/amp.json", RealFile("gru_1d.json")), new TestAdditionalText("/p/b/amp.json", RealFile("gru_1d.json"))),
            "FIXED051", PathArgument, "matches 2 AdditionalFiles items", "'/p/a/amp.json'", "'/p/b/amp.json'");

    [Fact]
    public void TruncatedFile_ReportsFIXED052SayingWhere()
    {
        string text = RealFile("gru_1d.json");
        DiagnosticAssert.Reports(RunInvalid(Model, new TestAdditionalText("/p/amp.json", text[..(text.Length / 3)])),
            "FIXED052", PathArgument, "'amp.json' cannot be read", "invalid JSON at line", "truncated");
    }

    [Fact]
    public void NaNWeight_ReportsFIXED052NamingIt() =>
        DiagnosticAssert.Reports(RunInvalid(Model, new TestAdditionalText("/p/amp.json", Json(Layer("dense", "", 1, "[[[NaN]], [0.5]]")))),
            "FIXED052", PathArgument, "NaN and Infinity are not JSON");

    [Fact]
    public void WeightOfTheWrongShape_ReportsFIXED052NamingThePath() =>
        DiagnosticAssert.Reports(RunInvalid(Model, new TestAdditionalText("/p/amp.json", Json(Layer("dense", "", 2, "[[[1.0]], [0.5, 0.25]]")))),
            "FIXED052", PathArgument, "\"layers\"[0] (dense).weights[0][0] has 1 values", "[in, out] = [1, 2]");

    [Fact]
    public void UnknownLayerType_ReportsFIXED053NamingIt() =>
        DiagnosticAssert.Reports(RunInvalid(Model, new TestAdditionalText("/p/amp.json", Json(Layer("conv1d", "", 4, "[]")))),
            "FIXED053", PathArgument, "\"layers\"[0] (conv1d) is a layer of type 'conv1d', which Fixed does not have");

    [Fact]
    public void UnknownActivation_ReportsFIXED053NamingIt() =>
        DiagnosticAssert.Reports(RunInvalid(Model, new TestAdditionalText("/p/amp.json", Json(Layer("dense", "selu", 1, "[[[1.0]], [0.5]]")))),
            "FIXED053", PathArgument, "the activation 'selu', which Fixed does not have");

    [Fact]
    public void GruWithOneBiasRow_ReportsFIXED053SayingResetAfterFalse() =>
        DiagnosticAssert.Reports(
            RunInvalid(Model, new TestAdditionalText("/p/amp.json", Json(Layer("gru", "tanh", 1, "[[[1, 2, 3]], [[4, 5, 6]], [0.1, 0.2, 0.3]]")))),
            "FIXED053", PathArgument, "reset_after=False", "a different cell from PyTorch's GRU");

    [Fact]
    public void RecurrentWithAnotherActivation_ReportsFIXED053() =>
        DiagnosticAssert.Reports(
            RunInvalid(Model, new TestAdditionalText("/p/amp.json", Json(Layer("lstm", "relu", 1, "[[[1, 2, 3, 4]], [[4, 5, 6, 7]], [0.1, 0.2, 0.3, 0.4]]")))),
            "FIXED053", PathArgument, "'relu'", "LSTM cell uses tanh");

    [Fact]
    public void LayerAttributesBeside_ReportsFIXED054() =>
        DiagnosticAssert.Reports(RunInvalid("using Fixed;\n[ModelFile(\"amp.json\")] [Recurrent(1, 8)] public partial class Amp;", new TestAdditionalText("/p/amp.json", RealFile("gru_1d.json"))),
            "FIXED054", "Recurrent(1, 8)", "'Amp' has [ModelFile] and the layer attribute [Recurrent]");

    [Fact]
    public void EmptyPath_ReportsFIXED055() =>
        DiagnosticAssert.Reports(RunInvalid("using Fixed;\n[ModelFile(\"\")] public partial class Amp;"), "FIXED055", "\"\"", "ModelFile's path is \"\"");

    [Fact]
    public void WindowZero_ReportsFIXED004() =>
        DiagnosticAssert.Reports(RunInvalid("using Fixed;\n[ModelFile(\"amp.json\", Window = 0)] public partial class Amp;", new TestAdditionalText("/p/amp.json", RealFile("gru_1d.json"))),
            "FIXED004", "Window = 0", "Window is 0");

    private static string NamFile() => File.ReadAllText(Path.Combine(Fixture.Root, "nam", "lstm.nam"));

    private const string NamModel = "using Fixed;\n[ModelFile(\"amp.nam\")] public partial class Amp";

    [Fact]
    public void NamOfAnotherArchitecture_ReportsFIXED053NamingIt() =>
        DiagnosticAssert.Reports(RunInvalid(NamModel + ";", new TestAdditionalText("/p/amp.nam", NamFile().Replace("\"LSTM\"", "\"WaveNet\"", System.StringComparison.Ordinal))),
            "FIXED053", "\"amp.nam\"", "The model file 'amp.nam' cannot be imported", "the .nam file's architecture is 'WaveNet'", "Fixed reads \"LSTM\" only");

    [Fact]
    public void NamWithTooFewWeights_ReportsFIXED052WithTheCount() =>
        DiagnosticAssert.Reports(RunInvalid(NamModel + ";", new TestAdditionalText("/p/amp.nam", NamFile().Replace("[-0.21677088737487793, ", "[", System.StringComparison.Ordinal))),
            "FIXED052", "\"amp.nam\"", "\"weights\" has 69 values", "has 70");

    [Fact]
    public void NamClassDeclaringSampleRate_ReportsFIXED014() =>
        DiagnosticAssert.Reports(RunInvalid(NamModel + " { public const int SampleRate = 44100; }", new TestAdditionalText("/p/amp.nam", NamFile())),
            "FIXED014", "\"amp.nam\"", "'Amp' has or inherits a member named 'SampleRate'", "rename that member");

    [Fact]
    public void RtNeuralClassDeclaringSampleRate_Compiles()
    {
        GeneratorRun run = GeneratorHarness.Run(Model.Replace("class Amp;", "class Amp { public const int SampleRate = 44100; }", System.StringComparison.Ordinal),
            [new TestAdditionalText("/p/amp.json", RealFile("gru_1d.json"))]);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.CompilationErrors.IsEmpty, GeneratorHarness.Describe(run.CompilationErrors));
    }

    [Fact]
    public void NamWithoutSampleRate_CompilesTheConstant48000_AsNamsFileSpecificationSays()
    {
        string text = NamFile().Replace(", \"sample_rate\": 48000}", "}", System.StringComparison.Ordinal).Replace("\"0.5.4\"", "\"0.5.0\"", System.StringComparison.Ordinal);
        Assert.DoesNotContain("sample_rate", text, System.StringComparison.Ordinal);
        string ninetySix = NamFile().Replace("\"sample_rate\": 48000", "\"sample_rate\": 96000", System.StringComparison.Ordinal);

        string withoutRate = Assert.Single(GeneratorHarness.Run(NamModel + ";", [new TestAdditionalText("/p/amp.nam", text)]).GeneratedSources).SourceText.ToString();
        string withRate = Assert.Single(GeneratorHarness.Run(NamModel + ";", [new TestAdditionalText("/p/amp.nam", ninetySix)]).GeneratedSources).SourceText.ToString();

        Assert.Contains("public const int SampleRate = 48000;", withoutRate, System.StringComparison.Ordinal);
        Assert.Contains("public const int SampleRate = 96000;", withRate, System.StringComparison.Ordinal);
    }
}
