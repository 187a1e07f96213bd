using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// <c>Dropout</c>'s declarations: outside [0, 1) an error (FIXED040), with one layer a warning that leaves the model generated
/// (FIXED041); each on the argument, naming the value and the fix. A valid one (a single network, with ProjSize or
/// Bidirectional too, or layers of a stack) compiles with warnings as errors, and its PyTorch equivalent in the generated comments says dropout=.
/// </summary>
public sealed class DropoutDiagnosticTests
{
    [Theory]
    [InlineData("1", "1")]
    [InlineData("1.5", "1.5")]
    [InlineData("-0.1", "-0.1")]
    [InlineData("double.NaN", "NaN")]
    [InlineData("double.PositiveInfinity", "Infinity")]
    public void DropoutOutsideZeroToOne_ReportsFIXED040OnTheArgument(string value, string shown) =>
        DiagnosticAssert.Reports($"[Recurrent(1, 8, NumLayers = 2, Dropout = {value})] public partial class M;",
            "FIXED040", "Dropout = " + value, "Dropout is " + shown + ",", "below 1", "such as 0.2");

    [Fact]
    public void DropoutWithOneLayer_WarnsFIXED041OnTheArgument_AndGeneratesTheModel()
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[Recurrent(1, 8, Cell = Cell.Gru, Dropout = 0.5)] public partial class M;");

        Diagnostic warning = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FIXED041", warning.Id);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal("Dropout = 0.5", DiagnosticAssert.LocatedText(run, warning));
        string message = warning.GetMessage(CultureInfo.InvariantCulture);
        Assert.Contains("Dropout = 0.5 has no effect with NumLayers = 1", message, System.StringComparison.Ordinal);
        Assert.Contains("set NumLayers to 2 or more", message, System.StringComparison.Ordinal);
        Assert.NotEmpty(run.GeneratedSources);
        Assert.Empty(run.CompilationErrors);
    }

    [Theory]
    [InlineData("[Recurrent(3, 8, Cell = Cell.Lstm, NumLayers = 3, Dropout = 0.2, OutputSize = 2)] public partial class M;")]
    [InlineData("[Recurrent(3, 8, NumLayers = 2, Dropout = 0.5, LearnInitialState = true)] public partial class M;")]
    [InlineData("[Recurrent(3, 8, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 4, Dropout = 0.2, OutputSize = 2)] public partial class M;")]
    [InlineData("[Recurrent(3, 8, Cell = Cell.Gru, NumLayers = 3, Bidirectional = true, Dropout = 0.4, LearnInitialState = true)] public partial class M;")]
    [InlineData("[Linear(2, 3)] [Tanh] [Recurrent(3, 8, NumLayers = 2, Dropout = 0.25, Name = \"a\")] [Recurrent(8, 4, Cell = Cell.Gru, NumLayers = 2, Dropout = 0.1, Name = \"b\")] public partial class M;")]
    public void ValidDropoutModel_CompilesWithWarningsAsErrors_AndNamesItsPyTorchEquivalent(string declaration)
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n/// <summary>A model.</summary>\n" + declaration, GeneratorHarness.StrictOptions);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.CompilationDiagnostics.IsEmpty, GeneratorHarness.Describe(run.CompilationDiagnostics));
        string source = Assert.Single(run.GeneratedSources).SourceText.ToString();
        Assert.Contains(", dropout=0.", source, System.StringComparison.Ordinal);
        Assert.Contains("public ulong DropoutSeed", source, System.StringComparison.Ordinal);
    }

    /// <summary>Dropout = 0, written out, is the default: the same generated text as a declaration without it.</summary>
    [Fact]
    public void ZeroDropout_GeneratesExactlyTheCodeOfNoDropout()
    {
        string Generated(string arguments) =>
            Assert.Single(GeneratorHarness.Run("using Fixed;\n[Recurrent(3, 8, NumLayers = 2" + arguments + ")] public partial class M;").GeneratedSources).SourceText.ToString();

        Assert.Equal(Generated(string.Empty), Generated(", Dropout = 0"));
        Assert.DoesNotContain("Dropout", Generated(", Dropout = 0"), System.StringComparison.Ordinal);
    }
}
