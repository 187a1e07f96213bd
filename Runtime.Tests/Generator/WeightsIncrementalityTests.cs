using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using static Fixed.Tests.Generator.WeightsFiles;

namespace Fixed.Tests.Generator;

/// <summary>
/// With <c>Weights</c>: editing the file's content re-emits exactly the model that embeds it; a comment edit, or the
/// same bytes saved again, leaves every step cached; an AdditionalFiles item that no Weights names is never read.
/// </summary>
public sealed class WeightsIncrementalityTests
{
    // RecurrentGenerator.Steps (internal to the generator).
    private const string ParsedStep = "Parsed";
    private const string WeightsFilesStep = "WeightsFiles";
    private const string SpecsStep = "Specs";

    private const string Source = WeightsFiles.Model + """


        [Recurrent(3, 8, Cell = Cell.Gru)]
        public partial class Untouched;
        """;

    [Fact]
    public void WeightsFileContentEdited_ReEmitsTheModelThatEmbedsIt()
    {
        byte[] edited = ValidFile();
        edited[^1] ^= 0x40;

        (GeneratorRun first, GeneratorRun second) = RunTwice((driver, original) => driver.ReplaceAdditionalText(original, Weights(edited)));

        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, WeightsFilesStep));
        Assert.Equal([IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached], Reasons(second, SpecsStep).Select(Settled));
        Assert.NotEqual(first.Source("M.g.cs"), second.Source("M.g.cs"));
        Assert.Equal(first.Source("Untouched.g.cs"), second.Source("Untouched.g.cs"));
    }

    [Fact]
    public void CommentAdded_EveryStepIsCachedAndTheSourceIsReused()
    {
        (GeneratorRun first, GeneratorRun second) = RunTwice(compilation =>
        {
            SyntaxTree old = compilation.SyntaxTrees.Single();
            return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(
                Source.Replace("public partial class M;", "// a comment\npublic partial class M; /* another */", StringComparison.Ordinal),
                GeneratorHarness.ParseOptions, old.FilePath));
        });

        AssertEverythingCached(first, second);
        Assert.Equal([IncrementalStepRunReason.Cached], Reasons(second, WeightsFilesStep));
    }

    [Fact]
    public void SameBytesSavedAgain_FileIsReReadButNothingIsReEmitted()
    {
        (GeneratorRun first, GeneratorRun second) = RunTwice((driver, original) => driver.ReplaceAdditionalText(original, Weights(ValidFile())));

        Assert.Equal([IncrementalStepRunReason.Unchanged], Reasons(second, WeightsFilesStep));
        AssertEverythingCached(first, second);
    }

    [Fact]
    public void AdditionalFileNoWeightsNames_IsNeverRead()
    {
        var reads = new List<string>();
        var other = new CountingText("/p/notes.txt", reads);
        CSharpCompilation compilation = GeneratorHarness.Compile(Source);

        GeneratorHarness.Run(GeneratorHarness.CreateDriver([Weights(ValidFile()), other]), compilation);

        Assert.Empty(reads);
    }

    private static TestAdditionalText Weights(byte[] file) => TestAdditionalText.Encoded("/p/model.safetensors", file);

    private static (GeneratorRun First, GeneratorRun Second) RunTwice(Func<GeneratorDriver, AdditionalText, GeneratorDriver> edit) =>
        RunTwice(compilation => compilation, edit);

    /// <summary>Runs the generator, applies the edits to the source and to the driver's AdditionalFiles, and runs the same driver again.</summary>
    private static (GeneratorRun First, GeneratorRun Second) RunTwice(
        Func<CSharpCompilation, CSharpCompilation> editSource, Func<GeneratorDriver, AdditionalText, GeneratorDriver>? editDriver = null)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Source);
        TestAdditionalText original = Weights(ValidFile());
        GeneratorRun first = GeneratorHarness.Run(GeneratorHarness.CreateDriver([original]), compilation);
        Assert.Empty(first.GeneratorDiagnostics);
        Assert.Equal(2, first.GeneratedSources.Length);

        GeneratorDriver driver = editDriver is null ? first.Driver : editDriver(first.Driver, original);
        GeneratorRun second = GeneratorHarness.Run(driver, editSource(compilation));
        Assert.Empty(second.GeneratorDiagnostics);
        return (first, second);
    }

    private static void AssertEverythingCached(GeneratorRun first, GeneratorRun second)
    {
        foreach (string step in new[] { ParsedStep, SpecsStep })
        {
            Assert.All(Reasons(second, step), reason => Assert.Equal(IncrementalStepRunReason.Cached, Settled(reason)));
        }

        IncrementalStepRunReason[] outputs = second.Result.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
        Assert.Equal(
            first.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())),
            second.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString())));
    }

    /// <summary>Unchanged (re-run, equal output) counts as cached: neither re-emits.</summary>
    private static IncrementalStepRunReason Settled(IncrementalStepRunReason reason) =>
        reason == IncrementalStepRunReason.Unchanged ? IncrementalStepRunReason.Cached : reason;

    private static IncrementalStepRunReason[] Reasons(GeneratorRun run, string step) =>
        run.Result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    /// <summary>An AdditionalFiles item that records every read of its text.</summary>
    private sealed class CountingText(string path, List<string> reads) : AdditionalText
    {
        public override string Path => path;

        public override Microsoft.CodeAnalysis.Text.SourceText? GetText(System.Threading.CancellationToken cancellationToken = default)
        {
            reads.Add(path);
            return Microsoft.CodeAnalysis.Text.SourceText.From("notes");
        }
    }
}
