using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Fixed.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Fixed.Tests.Generator;

/// <summary>What one generator run produced: the generated files, the generator's own diagnostics and the compiled result.</summary>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    CSharpCompilation InputCompilation,
    Compilation OutputCompilation,
    ImmutableArray<GeneratedSourceResult> GeneratedSources,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    /// <summary>Every diagnostic of the compilation with the generated code in it (user code included).</summary>
    public ImmutableArray<Diagnostic> CompilationDiagnostics => OutputCompilation.GetDiagnostics();

    public ImmutableArray<Diagnostic> CompilationErrors =>
        CompilationDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();

    public GeneratorRunResult Result => Driver.GetRunResult().Results.Single();

    public string Source(string hintName) => GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();
}

/// <summary>
/// Runs <see cref="RecurrentGenerator"/> in-process over a source string, compiled against the .NET 10 reference
/// assemblies and the Fixed runtime, the way the compiler runs it in a user's build.
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>
    /// The newest language version the generator's Roslyn (4.14, C# 13) knows: the generated code needs C# 12
    /// (InlineArray, collection expressions) and static abstract interface members.
    /// </summary>
    public static readonly CSharpParseOptions ParseOptions =
        new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    /// <summary>A library build with nullable on and default warnings (diagnostic tests look at errors only).</summary>
    public static readonly CSharpCompilationOptions DefaultOptions =
        new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    /// <summary>Every warning at every level reported as an error: the strictest build a user can have.</summary>
    public static readonly CSharpCompilationOptions StrictOptions = DefaultOptions
        .WithWarningLevel(9999)
        .WithGeneralDiagnosticOption(ReportDiagnostic.Error);

    public const string SourcePath = "Models.cs";

    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(RecurrentAttribute).Assembly.Location),
    ];

    public static CSharpCompilation Compile(string source, CSharpCompilationOptions? options = null) =>
        Compile([(SourcePath, source)], options);

    public static CSharpCompilation Compile(IEnumerable<(string Path, string Text)> sources, CSharpCompilationOptions? options = null) =>
        CSharpCompilation.Create(
            "UserModels",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            References,
            options ?? DefaultOptions);

    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText>? additionalTexts = null) =>
        CSharpGeneratorDriver.Create(
            [new RecurrentGenerator().AsSourceGenerator()],
            additionalTexts: additionalTexts,
            parseOptions: ParseOptions,
            optionsProvider: TestAnalyzerConfigOptionsProvider.For(additionalTexts),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(string source, CSharpCompilationOptions? options = null) =>
        Run(CreateDriver(), Compile(source, options));

    /// <summary>Runs the generator over <paramref name="source"/> with <paramref name="additionalTexts"/> as the project's AdditionalFiles.</summary>
    public static GeneratorRun Run(string source, IEnumerable<AdditionalText> additionalTexts, CSharpCompilationOptions? options = null) =>
        Run(CreateDriver(additionalTexts), Compile(source, options));

    /// <summary>Runs <paramref name="driver"/> (fresh, or holding a previous run's state) over <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, CSharpCompilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null)
        {
            throw new InvalidOperationException("The generator threw.", result.Exception);
        }

        return new GeneratorRun(driver, compilation, output, result.GeneratedSources, result.Diagnostics);
    }

    /// <summary>Diagnostics rendered one per line with their location, for assertion messages.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join(Environment.NewLine, diagnostics.Select(d => d.ToString()));
}
