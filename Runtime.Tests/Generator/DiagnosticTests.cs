using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// One invalid declaration per diagnostic FIXED001..FIXED013 (FIXED014 has its own class): each is reported with its
/// ID, on the attribute argument (or the class name) that is wrong, with a message that names the bad value; no code
/// is generated for it, and nothing else fails to compile, so the user sees exactly one complaint per mistake.
/// </summary>
public sealed class DiagnosticTests
{
    [Fact]
    public void InputSizeZero_ReportsFIXED001OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(0, 32)] public partial class M;", "FIXED001", "0", "inputSize is 0", "at least one input feature");

    [Fact]
    public void HiddenSizeNegative_NamedArgument_ReportsFIXED001OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(inputSize: 1, hiddenSize: -3)] public partial class M;", "FIXED001", "hiddenSize: -3", "hiddenSize is -3");

    [Fact]
    public void BothSizesZero_ReportsFIXED001OnEachArgument()
    {
        GeneratorRun run = DiagnosticAssert.RunInvalid("[Recurrent(hiddenSize: 0, inputSize: 0)] public partial class M;");

        Assert.Equal(["FIXED001", "FIXED001"], run.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Equal(["hiddenSize: 0", "inputSize: 0"], run.GeneratorDiagnostics.Select(d => DiagnosticAssert.LocatedText(run, d)).Order());
    }

    [Fact]
    public void NumLayersZero_ReportsFIXED002OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32, NumLayers = 0)] public partial class M;", "FIXED002", "NumLayers = 0", "NumLayers is 0");

    [Fact]
    public void OutputSizeNegative_ReportsFIXED003OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32, OutputSize = -1)] public partial class M;", "FIXED003", "OutputSize = -1", "OutputSize is -1");

    [Fact]
    public void WindowZero_ReportsFIXED004OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32, Window = 0)] public partial class M;", "FIXED004", "Window = 0", "Window is 0");

    [Theory]
    [InlineData("Gru")]
    [InlineData("Lstm")]
    public void ReluOnGatedCell_ReportsFIXED005OnTheArgument(string cell) =>
        DiagnosticAssert.Reports($"[Recurrent(1, 32, Cell = Cell.{cell}, Nonlinearity = Nonlinearity.Relu)] public partial class M;",
            "FIXED005", "Nonlinearity = Nonlinearity.Relu", "Cell." + cell, "use Cell.Rnn");

    [Fact]
    public void ClassNotPartial_ReportsFIXED006OnTheClassName() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32)] public class Whole;", "FIXED006", "Whole", "'Whole' must be declared partial");

    [Fact]
    public void GenericClass_ReportsFIXED007OnTheClassName() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32)] public partial class Generic<T>;", "FIXED007", "Generic", "'Generic' is generic");

    [Theory]
    [InlineData("public partial class Outer<T> { [Recurrent(1, 32)] public partial class Inner; }")]
    [InlineData("public partial class Outer<T> { public partial class Mid { [Recurrent(1, 32)] public partial class Inner; } }")]
    public void NestedInGenericType_ReportsFIXED007NamingTheGenericType(string declaration) =>
        DiagnosticAssert.Reports(declaration, "FIXED007", "Inner", "'Inner' is nested in the generic type 'Outer'");

    [Fact]
    public void StateOver64KiB_ReportsFIXED008OnTheAttribute() =>
        DiagnosticAssert.Reports("[Recurrent(1, 4096, NumLayers = 5)] public partial class M;",
            "FIXED008", "Recurrent(1, 4096, NumLayers = 5)", "81,920 bytes", "5 layers × 4096 floats", "65,536-byte");

    [Fact]
    public void HiddenTenThousandTwoLayers_ReportsFIXED008AmongTheSizeErrors()
    {
        GeneratorRun run = DiagnosticAssert.RunInvalid("[Recurrent(1, 10000, NumLayers = 2)] public partial class M;");

        Diagnostic state = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "FIXED008");
        Assert.Contains("80,000 bytes (2 layers × 10000 floats)", state.GetMessage(), System.StringComparison.Ordinal);
        // The RNN's scratch, one vector of 10000 floats and the alignment slack (40,064 bytes), fits: no FIXED013.
        Assert.Equal(["FIXED008", "FIXED011"], run.GeneratorDiagnostics.Select(d => d.Id).Order());
    }

    [Fact]
    public void ContainingTypeNotPartial_ReportsFIXED009NamingTheOuterType() =>
        DiagnosticAssert.Reports("public class Outer { [Recurrent(1, 32)] public partial class Inner; }",
            "FIXED009", "Inner", "nested in 'Outer', which must also be declared partial");

    [Fact]
    public void UndefinedCell_ReportsFIXED010OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32, Cell = (Cell)7)] public partial class M;", "FIXED010", "Cell = (Cell)7", "Cell = 7", "Cell.Rnn, Cell.Gru, Cell.Lstm");

    [Fact]
    public void UndefinedNonlinearity_ReportsFIXED010OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32, Nonlinearity = (Nonlinearity)(-1))] public partial class M;",
            "FIXED010", "Nonlinearity = (Nonlinearity)(-1)", "Nonlinearity = -1", "Nonlinearity.Tanh, Nonlinearity.Relu");

    [Fact]
    public void UndefinedWeightPrecision_ReportsFIXED010OnTheArgument() =>
        DiagnosticAssert.Reports("[Recurrent(1, 64, Cell = Cell.Gru, WeightPrecision = (WeightPrecision)3)] public partial class M;",
            "FIXED010", "WeightPrecision = (WeightPrecision)3", "WeightPrecision = 3", "WeightPrecision.Single, WeightPrecision.BFloat16");

    [Fact]
    public void TooManyParameters_ReportsFIXED011OnTheAttribute() =>
        DiagnosticAssert.Reports("[Recurrent(300000000, 1)] public partial class M;",
            "FIXED011", "Recurrent(300000000, 1)", "300,000,003 parameters", "268,435,456", "Window does not change the parameter count");

    [Fact]
    public void HiddenHundredThousand_ReportsFIXED011WithTheParameterCount()
    {
        GeneratorRun run = DiagnosticAssert.RunInvalid("[Recurrent(1, 100000)] public partial class M;");

        Diagnostic tooLarge = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "FIXED011");
        Assert.Contains("10,000,300,000 parameters", tooLarge.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void TapeTooLong_ReportsFIXED011NamingTheTape() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32, Window = 100000000)] public partial class M;",
            "FIXED011", "Recurrent(1, 32, Window = 100000000)", "14,400,000,000 floats of BPTT tape", "reduce Window (train on shorter windows");

    [Fact]
    public void SizesWhoseProductOverflowsLong_ReportFIXED011WithoutWrappingAround()
    {
        GeneratorRun run = DiagnosticAssert.RunInvalid("[Recurrent(int.MaxValue, int.MaxValue, NumLayers = int.MaxValue, Cell = Cell.Lstm)] public partial class M;");

        Diagnostic tooLarge = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "FIXED011");
        Assert.Contains("more than 9,223,372,036,854,775,807 parameters", tooLarge.GetMessage(), System.StringComparison.Ordinal);
        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == "FIXED008");
    }

    [Theory]
    [InlineData("public partial record M;", "a record")]
    [InlineData("public static partial class M;", "static")]
    [InlineData("public abstract partial class M;", "abstract")]
    public void NotAnInstanceClass_ReportsFIXED012OnTheClassName(string declaration, string what) =>
        DiagnosticAssert.Reports("[Recurrent(1, 32)] " + declaration, "FIXED012", "M", "'M' is " + what);

    [Fact]
    public void LstmHidden5000_ReportsFIXED013OnTheAttribute() =>
        DiagnosticAssert.Reports("[Recurrent(1, 5000, Cell = Cell.Lstm)] public partial class M;",
            "FIXED013", "Recurrent(1, 5000, Cell = Cell.Lstm)", "100,224 bytes", "5 vectors × 5,008 floats", "HiddenSize 5000 padded to 16-float SIMD vectors");

    [Fact]
    public void RecurrentOnTwoParts_ReportsFIXED026OnceAndGeneratesNothing() =>
        // Layer stacks need several [Recurrent] on one class (AllowMultiple), so two parts each with one no longer get the
        // compiler's CS0579: the order of the two layers is ambiguous, which is FIXED026, reported once.
        DiagnosticAssert.Reports("[Recurrent(1, 32)] public partial class M;\n[Recurrent(1, 16)] public partial class M;",
            "FIXED026", "Recurrent(1, 16)", "more than one partial declaration");

    [Fact]
    public void ArgumentThatDoesNotBind_GeneratesNothingBesideTheCompilerError()
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[Recurrent(1, \"32\")] public partial class M;");

        Assert.Empty(run.GeneratedSources);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.CompilationErrors);
    }

    [Fact]
    public void InvalidDeclarationBesideAValidOne_OnlyTheValidOneIsGenerated()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using Fixed;
            [Recurrent(1, 32, NumLayers = 0)] public partial class Bad;
            [Recurrent(1, 32)] public partial class Good;
            """);

        Assert.Equal("FIXED002", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Equal("Good.g.cs", Assert.Single(run.GeneratedSources).HintName);
        Assert.Empty(run.CompilationErrors);
    }

    [Fact]
    public void EveryDiagnostic_IsAnErrorThatNamesItsReferenceAndNoDeadLink()
    {
        GeneratorRun run = DiagnosticAssert.RunInvalid("[Recurrent(0, 32, NumLayers = 0, OutputSize = -1, Window = 0, Cell = (Cell)9)] public class M<T>;");

        Assert.Equal(["FIXED001", "FIXED002", "FIXED003", "FIXED004", "FIXED006", "FIXED007", "FIXED010"],
            run.GeneratorDiagnostics.Select(d => d.Id).Order());
        Assert.All(run.GeneratorDiagnostics, d =>
        {
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Equal(string.Empty, d.Descriptor.HelpLinkUri);
            Assert.Contains("docs/diagnostics.md", d.Descriptor.Description.ToString(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
        });
    }
}
