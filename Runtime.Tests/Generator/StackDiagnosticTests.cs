using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// Every mistake in a layer stack is a compile error with its ID, on the attribute (or argument) at fault, whose message
/// names the values and the fix; nothing is generated, and the generator never throws.
/// </summary>
public sealed class StackDiagnosticTests
{
    [Fact]
    public void LinearThatDoesNotTakeTheRecurrentOutput_ReportsFIXED023NamingBothSizes() =>
        DiagnosticAssert.Reports("[Recurrent(3, 16, Name = \"enc\")] [Linear(8, 2)] public partial class M;",
            "FIXED023", "8", "[Linear(8, 2)] takes 8 features", "[Recurrent(3, 16)], gives 16", "set inFeatures to 16");

    [Fact]
    public void RecurrentThatDoesNotTakeTheLinearOutput_ReportsFIXED023OnItsInputSize() =>
        DiagnosticAssert.Reports("[Linear(2, 6, Name = \"pre\")] [Tanh] [Recurrent(5, 20)] public partial class M;",
            "FIXED023", "5", "[Recurrent(5, 20)] takes 5 features", "[Tanh], gives 6", "set inputSize to 6");

    [Fact]
    public void TwoUnnamedRecurrentLayers_ReportFIXED024AskingForAName() =>
        DiagnosticAssert.Reports("[Recurrent(3, 16)] [Recurrent(16, 8)] public partial class M;",
            "FIXED024", "Recurrent(16, 8)", "both named 'rnn'", "Name = \"rnn2\"");

    [Fact]
    public void TwoLinearLayersWithOneName_ReportFIXED024OnTheSecondName() =>
        DiagnosticAssert.Reports("[Linear(3, 4, Name = \"fc\")] [Relu] [Linear(4, 2, Name = \"fc\")] public partial class M;",
            "FIXED024", "Name = \"fc\"", "[Linear(3, 4)] (layer 1) and [Linear(4, 2)] (layer 3) are both named 'fc'");

    [Fact]
    public void OutputSizeInAStack_ReportsFIXED025WithTheLinearToWrite() =>
        DiagnosticAssert.Reports("[Recurrent(3, 16, OutputSize = 2)] [Relu] public partial class M;",
            "FIXED025", "OutputSize = 2", "add [Linear(16, 2)] after the [Recurrent]");

    [Fact]
    public void LayersOnTwoParts_ReportFIXED026Once()
    {
        GeneratorRun run = DiagnosticAssert.RunInvalid("[Recurrent(1, 8)] public partial class M;\n[Linear(8, 1)] public partial class M;");

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FIXED026", diagnostic.Id);
        Assert.Equal("Linear(8, 1)", DiagnosticAssert.LocatedText(run, diagnostic));
    }

    [Fact]
    public void MlpLayersOnTwoParts_ReportFIXED026Once() =>
        DiagnosticAssert.Reports("[Linear(2, 8)] public partial class M;\n[Linear(8, 1, Name = \"out\")] public partial class M;",
            "FIXED026", "Linear(8, 1, Name = \"out\")", "'M' has layer attributes on more than one partial declaration");

    [Theory]
    [InlineData("LeakyRelu(NegativeSlope = float.NaN)", "NegativeSlope = float.NaN", "NegativeSlope is NaN")]
    [InlineData("Elu(Alpha = float.PositiveInfinity)", "Alpha = float.PositiveInfinity", "Alpha is Infinity")]
    public void NonFiniteActivationArgument_ReportsFIXED027OnTheArgument(string activation, string located, string fragment) =>
        DiagnosticAssert.Reports("[Recurrent(1, 8)] [" + activation + "] public partial class M;", "FIXED027", located, fragment, "finite");

    [Fact]
    public void ActivationFirst_ReportsFIXED028() =>
        DiagnosticAssert.Reports("[Tanh] [Recurrent(2, 8)] public partial class M;", "FIXED028", "Tanh", "[Tanh] is the first layer of 'M'");

    [Fact]
    public void AddInputFirst_ReportsFIXED028() =>
        DiagnosticAssert.Reports("[AddInput(1)] [Recurrent(2, 1)] public partial class M;", "FIXED028", "AddInput(1)", "[AddInput] is the first layer of 'M'");

    [Fact]
    public void AddInputOfNoFeature_ReportsFIXED001OnFeatures() =>
        DiagnosticAssert.Reports("[Recurrent(2, 8)] [Linear(8, 1)] [AddInput(0)] public partial class M;", "FIXED001", "0", "features is 0");

    [Fact]
    public void AddInputOfAnotherWidth_ReportsFIXED056NamingBothWidths() =>
        DiagnosticAssert.Reports("[Recurrent(2, 8)] [Linear(8, 3)] [AddInput(1)] public partial class M;",
            "FIXED056", "1", "[AddInput(1)] adds 1 input features to the output of [Linear(8, 3)], which gives 3 per step", "set features to 3");

    [Fact]
    public void AddInputWiderThanTheInput_ReportsFIXED057NamingInputSize() =>
        DiagnosticAssert.Reports("[Recurrent(2, 8)] [Linear(8, 3)] [AddInput(3)] public partial class M;",
            "FIXED057", "3", "adds the stack's first 3 input features, but its input has 2 (InputSize)", "at most 2");

    [Fact]
    public void WeightsOnTwoLayers_ReportsFIXED029OnTheSecond() =>
        DiagnosticAssert.Reports("[Recurrent(1, 8, Name = \"a\", Weights = \"a.safetensors\")] [Recurrent(8, 4, Name = \"b\", Weights = \"b.safetensors\")] public partial class M;",
            "FIXED029", "Weights = \"b.safetensors\"", "('a.safetensors' and 'b.safetensors')");

    [Fact]
    public void StateAndBuffersOverTheBudget_ReportFIXED030WithEachPart() =>
        DiagnosticAssert.Reports("[Recurrent(1, 4000, Cell = Cell.Lstm, Name = \"a\")] [Recurrent(4000, 4000, Name = \"b\")] public partial class M;",
            "FIXED030", "Recurrent(1, 4000, Cell = Cell.Lstm, Name = \"a\")", "State 48,000 B", "layer outputs 32,000 B", "gate scratch 80,064 B", "65,536-byte budget");

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"fc 1\"")]
    [InlineData("\".fc\"")]
    [InlineData("\"a..b\"")]
    [InlineData("null")]
    public void InvalidName_ReportsFIXED031OnTheName(string name) =>
        DiagnosticAssert.Reports("[Recurrent(1, 8)] [Linear(8, 1, Name = " + name + ")] public partial class M;", "FIXED031", "Name = " + name, "cannot be a state_dict prefix");

    [Fact]
    public void NamedSingleRecurrent_IsAStackThatGeneratesItsTensorsUnderTheName()
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[Recurrent(1, 8, Name = \"encoder.rnn\")] public partial class M;");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Contains("new(\"encoder.rnn.weight_ih_l0\", 0, new int[] { 8, 1 })", run.GeneratedSources.Single().SourceText.ToString(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void SizeTooSmallInALinear_ReportsFIXED001OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 8)] [Linear(8, 0)] public partial class M;", "FIXED001", "0", "outFeatures is 0");
}
