using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// The declarations of <c>ProjSize</c> and <c>Bidirectional</c> that Fixed refuses (FIXED045..FIXED049): each reported
/// once, on the argument (or the class name) that is wrong, with a message naming the value and the fix; nothing is
/// generated for it. And the valid ones compile with warnings as errors.
/// </summary>
public sealed class SequenceDiagnosticTests
{
    [Theory]
    [InlineData("Rnn")]
    [InlineData("Gru")]
    public void ProjSizeOnANonLstm_ReportsFIXED045OnTheArgument(string cell) =>
        DiagnosticAssert.Reports($"[Recurrent(1, 8, Cell = Cell.{cell}, ProjSize = 4)] public partial class M;",
            "FIXED045", "ProjSize = 4", "ProjSize = 4", "not Cell." + cell, "use Cell.Lstm");

    [Fact]
    public void ProjSizeOnTheDefaultCell_ReportsFIXED045() =>
        DiagnosticAssert.Reports("[Recurrent(1, 8, ProjSize = 2)] public partial class M;", "FIXED045", "ProjSize = 2", "not Cell.Rnn");

    [Fact]
    public void ProjSizeNegative_ReportsFIXED046OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 8, Cell = Cell.Lstm, ProjSize = -1)] public partial class M;",
            "FIXED046", "ProjSize = -1", "ProjSize is -1", "hiddenSize - 1");

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    public void ProjSizeNotBelowHiddenSize_ReportsFIXED047OnTheArgument(int projSize) =>
        DiagnosticAssert.Reports($"[Recurrent(1, 8, Cell = Cell.Lstm, ProjSize = {projSize})] public partial class M;",
            "FIXED047", "ProjSize = " + projSize, "ProjSize = " + projSize + " is not below hiddenSize = 8", "from 1 to 7");

    [Theory]
    [InlineData("WeightPrecision = WeightPrecision.BFloat16", "Cell = Cell.Lstm, ProjSize = 4, WeightPrecision = WeightPrecision.BFloat16", "WeightPrecision.BFloat16 is not supported together with ProjSize on a layer")]
    [InlineData("WeightPrecision = WeightPrecision.BFloat16", "NumLayers = 2, Bidirectional = true, Dropout = 0.2, LearnInitialState = true, WeightPrecision = WeightPrecision.BFloat16", "WeightPrecision.BFloat16 is not supported together with Bidirectional on a layer of a layer stack ('M')")]
    public void SequenceLayerOfAStackWithAnOptionNotSupportedYet_ReportsFIXED048OnTheArgument(string located, string arguments, string message) =>
        DiagnosticAssert.Reports($"[Linear(2, 3)] [Recurrent(3, 8, {arguments})] public partial class M;", "FIXED048", located, message);

    [Fact]
    public void BidirectionalStackDeclaringIRecurrentModel_ReportsFIXED049OnTheClassName()
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[Linear(2, 3)] [Recurrent(3, 8, Bidirectional = true)] public partial class Bi : IRecurrentModel<Bi>;");

        Assert.Empty(run.GeneratedSources);
        Assert.All(run.CompilationErrors, e => Assert.Equal("CS0535", e.Id));
        DiagnosticAssert.Reports(run, "FIXED049", "Bi", "'Bi' is Bidirectional", "remove that interface");
    }

    [Theory]
    [InlineData("Bidirectional = true", "8", "16")]
    [InlineData("Cell = Cell.Lstm, ProjSize = 3", "8", "3")]
    [InlineData("Cell = Cell.Lstm, ProjSize = 3, Bidirectional = true", "8", "6")]
    public void LayerAfterABidirectionalOrProjectedLayer_ReadsItsWidth_OrFIXED023(string arguments, string wrong, string width) =>
        DiagnosticAssert.Reports($"[Recurrent(3, 8, {arguments})] [Linear({wrong}, 2)] public partial class M;",
            "FIXED023", wrong, "[Linear(8, 2)] takes 8 features per step", "gives " + width, "set inFeatures to " + width);

    [Fact]
    public void BFloat16WithProjSize_ReportsFIXED048OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 8, Cell = Cell.Lstm, ProjSize = 4, WeightPrecision = WeightPrecision.BFloat16)] public partial class M;",
            "FIXED048", "WeightPrecision = WeightPrecision.BFloat16", "WeightPrecision.BFloat16 is not supported together with ProjSize", "fp32");

    [Fact]
    public void BFloat16WithBidirectional_ReportsFIXED048OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 8, Cell = Cell.Gru, Bidirectional = true, WeightPrecision = WeightPrecision.BFloat16)] public partial class M;",
            "FIXED048", "WeightPrecision = WeightPrecision.BFloat16", "WeightPrecision.BFloat16 is not supported together with Bidirectional", "fp32");

    [Fact]
    public void BidirectionalModelDeclaringIRecurrentModel_ReportsFIXED049OnTheClassName()
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[Recurrent(1, 8, Bidirectional = true)] public partial class Bi : IRecurrentModel<Bi>;");

        // Nothing is generated, so the only compile errors are the interface's members the class itself does not provide.
        Assert.Empty(run.GeneratedSources);
        Assert.All(run.CompilationErrors, e => Assert.Equal("CS0535", e.Id));
        DiagnosticAssert.Reports(run, "FIXED049", "Bi", "'Bi' is Bidirectional", "remove that interface");
    }

    [Theory]
    [InlineData("[Recurrent(3, 8, Cell = Cell.Lstm, ProjSize = 3, NumLayers = 2, OutputSize = 2)] public partial class M;")]
    [InlineData("[Linear(2, 3)] [Recurrent(3, 8, Cell = Cell.Lstm, ProjSize = 4, Name = \"lstm\")] [Linear(4, 1, Name = \"head\")] public partial class M;")]
    [InlineData("[Linear(2, 3)] [Tanh] [Recurrent(3, 8, Cell = Cell.Lstm, NumLayers = 2, Bidirectional = true, ProjSize = 4)] [Linear(8, 1, Name = \"head\")] public partial class M;")]
    [InlineData("[Recurrent(3, 4, Bidirectional = true, Name = \"birnn\")] [Recurrent(8, 3, Cell = Cell.Gru)] [AddInput(3)] [Softmax] public partial class M;")]
    [InlineData("[Recurrent(3, 8, Cell = Cell.Lstm, ProjSize = 7, Bias = false)] public partial class M;")]
    [InlineData("[Recurrent(3, 8, Cell = Cell.Lstm, ProjSize = 3, Bidirectional = true, NumLayers = 2, LearnInitialState = true)] public partial class M;")]
    [InlineData("[Recurrent(3, 8, Bidirectional = true, LearnInitialState = true, OutputSize = 1)] public partial class M;")]
    public void ValidProjSizeOrBidirectionalModel_CompilesWithWarningsAsErrors(string declaration)
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n/// <summary>A model.</summary>\n" + declaration, GeneratorHarness.StrictOptions);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.CompilationDiagnostics.IsEmpty, GeneratorHarness.Describe(run.CompilationDiagnostics));
    }
}
