using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// The generator runs on every keystroke in an IDE: an edit that leaves the attribute's values alone must leave the
/// pipeline cached and reuse the generated source; a change to a size must re-emit exactly the model it touches.
/// </summary>
public sealed class IncrementalityTests
{
    /// <summary>RecurrentGenerator.Steps.Parsed (internal to the generator): each attributed class as values.</summary>
    private const string ParsedStep = "Parsed";

    /// <summary>RecurrentGenerator.Steps.Specs (internal to the generator): the step whose outputs feed the emitter.</summary>
    private const string SpecsStep = "Specs";

    private const string ModelPath = GeneratorHarness.SourcePath;
    private const string OtherPath = "Other.cs";

    private const string Models = """
        using Fixed;

        namespace Demo;

        [Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1)]
        public partial class RnnRegression;

        [Recurrent(3, 8, Cell = Cell.Gru)]
        public partial class Untouched;
        """;

    private const string Other = """
        namespace Demo;

        public class Unrelated
        {
        }
        """;

    [Fact]
    public void CommentAdded_SpecsStepIsCachedAndTheSourceIsReused()
    {
        (GeneratorRun first, GeneratorRun second) = RunTwice(
            ModelPath, Models.Replace("public partial class RnnRegression;", "// a comment\npublic partial class RnnRegression; /* another */", System.StringComparison.Ordinal));

        AssertAllCached(second);
        AssertSameSources(first, second);
    }

    [Fact]
    public void UnrelatedMemberAddedToAnotherClass_SpecsStepIsCachedAndTheSourceIsReused()
    {
        (GeneratorRun first, GeneratorRun second) = RunTwice(
            OtherPath, Other.Replace("{\n}", "{\n    public int Count { get; set; }\n}", System.StringComparison.Ordinal));

        AssertAllCached(second);
        AssertSameSources(first, second);
    }

    [Fact]
    public void HiddenSizeChanged_SpecsStepIsModifiedAndTheSourceChanges()
    {
        (GeneratorRun first, GeneratorRun second) = RunTwice(
            ModelPath, Models.Replace("hiddenSize: 32", "hiddenSize: 33", System.StringComparison.Ordinal));

        IncrementalStepRunReason[] reasons = Reasons(second.Result.TrackedSteps[SpecsStep]).ToArray();
        Assert.Equal(2, reasons.Length);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons[0]);
        Assert.True(reasons[1] is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "Untouched's spec was " + reasons[1]);
        Assert.Contains("public const int HiddenSize = 33;", second.Source("Demo.RnnRegression.g.cs"), System.StringComparison.Ordinal);
        Assert.NotEqual(first.Source("Demo.RnnRegression.g.cs"), second.Source("Demo.RnnRegression.g.cs"));
        Assert.Equal(first.Source("Demo.Untouched.g.cs"), second.Source("Demo.Untouched.g.cs"));
    }

    [Fact]
    public void LinesInsertedAboveAnInvalidDeclaration_DiagnosticMovesWithIt()
    {
        const string Invalid = "using Fixed;\n[Recurrent(1, 32, NumLayers = 0)] public partial class Bad;\n";
        (GeneratorRun first, GeneratorRun second) = RunTwice(
            Invalid, ModelPath, "\n\n" + Invalid);

        Assert.Equal(1, Assert.Single(first.GeneratorDiagnostics).Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal(3, Assert.Single(second.GeneratorDiagnostics).Location.GetLineSpan().StartLinePosition.Line);
        Assert.Empty(second.GeneratedSources);
    }

    private static (GeneratorRun First, GeneratorRun Second) RunTwice(string editedPath, string editedText) =>
        RunTwice(Models, editedPath, editedText);

    /// <summary>Runs the generator, replaces one file with <paramref name="editedText"/> and runs the same driver again.</summary>
    private static (GeneratorRun First, GeneratorRun Second) RunTwice(string models, string editedPath, string editedText)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile([(ModelPath, models), (OtherPath, Other)]);
        GeneratorRun first = GeneratorHarness.Run(GeneratorHarness.CreateDriver(), compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == editedPath);
        SyntaxTree edited = CSharpSyntaxTree.ParseText(editedText, GeneratorHarness.ParseOptions, editedPath);
        GeneratorRun second = GeneratorHarness.Run(first.Driver, compilation.ReplaceSyntaxTree(old, edited));
        return (first, second);
    }

    private static void AssertAllCached(GeneratorRun run)
    {
        GeneratorRunResult result = run.Result;
        foreach (string step in new[] { ParsedStep, SpecsStep })
        {
            IncrementalStepRunReason[] reasons = Reasons(result.TrackedSteps[step]).ToArray();
            Assert.Equal(2, reasons.Length);
            Assert.All(reasons, reason =>
                Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, step + " output was " + reason));
        }

        // The source output itself was not re-run: the previous run's text is reused.
        IncrementalStepRunReason[] outputs = result.TrackedOutputSteps.SelectMany(step => Reasons(step.Value)).ToArray();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
    }

    private static void AssertSameSources(GeneratorRun first, GeneratorRun second)
    {
        Assert.Equal(2, second.GeneratedSources.Length);
        Assert.Equal(
            first.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())),
            second.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())));
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(IEnumerable<IncrementalGeneratorRunStep> steps) =>
        steps.SelectMany(step => step.Outputs).Select(output => output.Reason);
}
