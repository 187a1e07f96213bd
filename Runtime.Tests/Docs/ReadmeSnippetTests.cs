using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Fixed.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Fixed.Tests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of the repository's README.md, compiled exactly as a reader would paste it: as the whole
/// <c>Program.cs</c> of a fresh <c>dotnet new console</c> app (top-level statements, the SDK's implicit usings, nullable on,
/// an executable) that references the Fixed package, with the generator running. Nothing is added to the snippet, so a
/// snippet that uses a name it does not declare, or declares a type before its statements, fails here.
/// The README is read from the source tree, found by walking up from this file.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    /// <summary>Fewer snippets than this means the guide lost its examples (or the extraction broke): a failure.</summary>
    private const int MinimumSnippets = 5;

    /// <summary>
    /// What the .NET SDK generates for a console project with <c>&lt;ImplicitUsings&gt;enable&lt;/ImplicitUsings&gt;</c>
    /// (the default of <c>dotnet new console</c>): Microsoft.NET.Sdk's implicit usings.
    /// </summary>
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    /// <summary>A console app, as <c>dotnet new console</c> creates it (nullable enabled).</summary>
    private static readonly CSharpCompilationOptions ConsoleApp =
        new(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable);

    /// <summary>
    /// The AdditionalFiles a snippet's project has, by the name a snippet's <c>Weights = "..."</c> gives: the README's
    /// model is nn.RNN(1, 32) + nn.Linear(32, 1), whose PyTorch-written weights are a parity fixture.
    /// </summary>
    private static readonly Dictionary<string, string> WeightsFixtures = new(StringComparer.Ordinal)
    {
        ["rnn_regression.safetensors"] = Path.Combine("Fixtures", "forward", "rnn_i1_h32_l1_o1_t50_h0.weights.safetensors"),
    };

    /// <summary>The AdditionalFiles a snippet's <c>[ModelFile("...")]</c> names: the README's amp is RTNeural's Keras GRU test model.</summary>
    private static readonly Dictionary<string, string> ModelFileFixtures = new(StringComparer.Ordinal)
    {
        ["amp.json"] = Path.Combine("Fixtures", "rtneural", "gru_1d.json"),
    };

    public static TheoryData<int, int> SnippetIndices()
    {
        var data = new TheoryData<int, int>();
        IReadOnlyList<Snippet> snippets = ReadSnippets();
        for (int i = 0; i < snippets.Count; i++)
        {
            data.Add(i, snippets[i].Line);
        }

        return data;
    }

    [Fact]
    public void Readme_HasAtLeastFiveCSharpSnippets()
    {
        IReadOnlyList<Snippet> snippets = ReadSnippets();
        Assert.True(snippets.Count >= MinimumSnippets,
            $"README.md has {snippets.Count} ```csharp blocks; expected at least {MinimumSnippets} (the guide's compiled examples).");
    }

    [Theory]
    [MemberData(nameof(SnippetIndices))]
    public void ReadmeSnippet_CompilesAsTheProgramOfAFreshConsoleApp(int index, int readmeLine)
    {
        Snippet snippet = ReadSnippets()[index];
        List<AdditionalText> weights = [];
        foreach (Match match in WeightsPattern().Matches(snippet.Code))
        {
            string name = match.Groups[1].Value;
            Assert.True(WeightsFixtures.TryGetValue(name, out string? fixture),
                $"README.md line {readmeLine}: the snippet embeds \"{name}\", which this test has no file for; add it to {nameof(WeightsFixtures)}.");
            weights.Add(TestAdditionalText.Encoded("/readme/" + name, File.ReadAllBytes(Path.Combine(TestsDirectory(), fixture))));
        }

        foreach (Match match in ModelFilePattern().Matches(snippet.Code))
        {
            string name = match.Groups[1].Value;
            Assert.True(ModelFileFixtures.TryGetValue(name, out string? fixture),
                $"README.md line {readmeLine}: the snippet imports \"{name}\", which this test has no file for; add it to {nameof(ModelFileFixtures)}.");
            weights.Add(new TestAdditionalText("/readme/" + name, File.ReadAllText(Path.Combine(TestsDirectory(), fixture))));
        }

        (GeneratorRun run, Diagnostic[] errors) = CompileAsProgram(snippet.Code, weights);
        Assert.True(errors.Length == 0,
            $"README.md line {readmeLine}: the snippet does not compile as a console app's Program.cs:{Environment.NewLine}" +
            GeneratorHarness.Describe(errors) + Environment.NewLine + "as compiled:" + Environment.NewLine + Numbered(snippet.Code));
        foreach (Match declared in PartialClassPattern().Matches(snippet.Code))
        {
            string name = declared.Groups[1].Value;
            Assert.True(run.GeneratedSources.Any(s => s.HintName == name + ".g.cs"),
                $"README.md line {readmeLine}: the generator produced no source for class {name}; it produced " +
                string.Join(", ", run.GeneratedSources.Select(s => s.HintName)) + ".");
        }
    }

    /// <summary>
    /// The check itself: the README's first snippet as it stood before issue 17 (a type declared before the statements,
    /// and a <c>sensor</c> it never declares) must fail exactly as it failed for a reader.
    /// </summary>
    [Fact]
    public void CompileAsProgram_SnippetWithTypeBeforeStatementsAndAnUndeclaredName_FailsAsItDidForAReader()
    {
        const string Broken = """
            using Fixed;

            [Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1)]
            public partial class RnnRegression;

            var model = new RnnRegression();
            var state = default(RnnRegression.State);
            Span<float> y = stackalloc float[1];
            foreach (float x in sensor) model.Step(ref state, [x], y);
            """;

        (_, Diagnostic[] errors) = CompileAsProgram(Broken, []);

        Assert.Contains(errors, e => e.Id == "CS8803"); // top-level statements must precede namespace and type declarations
        Assert.Contains(errors, e => e.Id == "CS0103" && e.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("sensor", StringComparison.Ordinal));
    }

    /// <summary>Compiles <paramref name="code"/> as the Program.cs of a fresh console app; returns the run and every error (the generator's too).</summary>
    private static (GeneratorRun Run, Diagnostic[] Errors) CompileAsProgram(string code, IEnumerable<AdditionalText> additionalFiles)
    {
        GeneratorRun run = GeneratorHarness.Run(
            GeneratorHarness.CreateDriver(additionalFiles),
            GeneratorHarness.Compile([("Program.cs", code), ("Readme.GlobalUsings.g.cs", ImplicitUsings)], ConsoleApp));

        // The generator's own diagnostics (FIXED0xx) are reported beside the compilation's, not in it.
        return (run, [.. run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error), .. run.CompilationErrors]);
    }

    /// <summary>One <c>```csharp</c> block: its first code line's number in README.md (1-based) and its text.</summary>
    private sealed record Snippet(int Line, string Code);

    private static IReadOnlyList<Snippet> ReadSnippets()
    {
        string[] lines = File.ReadAllLines(ReadmePath());
        var snippets = new List<Snippet>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            int start = i + 1;
            int end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            Assert.True(end < lines.Length, $"README.md line {i + 1}: a ```csharp block is never closed.");
            snippets.Add(new Snippet(start + 1, string.Join("\n", lines[start..end])));
            i = end;
        }

        return snippets;
    }

    private static string Numbered(string source) =>
        string.Join(Environment.NewLine, source.Split('\n').Select((l, i) => $"{i + 1,4}: {l.TrimEnd('\r')}"));

    /// <summary>Runtime.Tests/, from the compiler-supplied path of this file (Runtime.Tests/Docs/ReadmeSnippetTests.cs).</summary>
    private static string TestsDirectory([CallerFilePath] string testFile = "") =>
        Path.GetDirectoryName(Path.GetDirectoryName(testFile))!;

    /// <summary>The repository's README.md: the first one found walking up from this test's source file.</summary>
    private static string ReadmePath()
    {
        for (DirectoryInfo? dir = new(TestsDirectory()); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("README.md not found above " + TestsDirectory() + ".");
    }

    [GeneratedRegex("""Weights\s*=\s*"([^"]+)"\s*""")]
    private static partial Regex WeightsPattern();

    [GeneratedRegex("""ModelFile\("([^"]+)"\s*""")]
    private static partial Regex ModelFilePattern();

    [GeneratedRegex(@"\bpartial\s+class\s+([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex PartialClassPattern();
}
