using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Fixed.Tests.Generator;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of the repository's README.md, compiled with the Fixed generator, so that every snippet
/// a reader pastes compiles. The README is read from the source tree, found by walking up from this file.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    /// <summary>Fewer snippets than this means the guide lost its examples (or the extraction broke): a failure.</summary>
    private const int MinimumSnippets = 5;

    /// <summary>The usings every snippet gets; a snippet's own <c>using</c> lines are added (without duplicates).</summary>
    private static readonly string[] ScaffoldUsings = ["using System;", "using System.Collections.Generic;", "using Fixed;"];

    /// <summary>
    /// The scaffold: what the README's fragments assume without declaring. The guide's running example is an IMU
    /// gesture classifier (<c>ImuClassifier</c>, as in examples/GestureLstm) held in <c>model</c>; spans are given as
    /// arrays (which convert to <c>Span</c>/<c>ReadOnlySpan</c>) because fields cannot be spans. The snippet's
    /// statements become the body of <c>Run</c>, so a snippet's own locals (e.g. <c>var model = new RnnRegression()</c>)
    /// shadow these fields. <c>/*TYPES*/</c> is replaced by the snippet's type declarations, <c>/*STATEMENTS*/</c> by its statements.
    /// </summary>
    private const string Scaffold = """
        [Recurrent(3, 64, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 4, Window = 128)]
        public partial class ImuClassifier;

        // ---- the snippet's type declarations ----
        /*TYPES*/
        // ---- end ----

        internal static class ReadmeSnippet
        {
            private static ImuClassifier model = new();
            private static float[] input = new float[3], output = new float[4];
            private static float[] inputs = new float[16 * 32 * 3], outputs = new float[32 * 4], targets = new float[16 * 4];
            private static IEnumerable<float> sensor = [];
            private static int epoch;

            public static void Run()
            {
                // ---- the snippet's statements ----
        /*STATEMENTS*/
                // ---- end ----
            }
        }
        """;

    /// <summary>
    /// The AdditionalFiles the scaffold's project has, by the name a snippet's <c>Weights = "..."</c> gives: the README's
    /// model is nn.RNN(1, 32) + nn.Linear(32, 1), whose PyTorch-written weights are a parity fixture.
    /// </summary>
    private static readonly Dictionary<string, string> WeightsFixtures = new(StringComparer.Ordinal)
    {
        ["rnn_regression.safetensors"] = Path.Combine("Fixtures", "forward", "rnn_i1_h32_l1_o1_t50_h0.weights.safetensors"),
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
    public void ReadmeSnippet_Compiles(int index, int readmeLine)
    {
        Snippet snippet = ReadSnippets()[index];
        (string usings, string types, string statements, List<string> declared) = Split(snippet.Code);
        string source = usings + Scaffold
            .Replace("/*TYPES*/", types, StringComparison.Ordinal)
            .Replace("/*STATEMENTS*/", statements, StringComparison.Ordinal);

        List<AdditionalText> weights = [];
        foreach (Match match in WeightsPattern().Matches(snippet.Code))
        {
            string name = match.Groups[1].Value;
            Assert.True(WeightsFixtures.TryGetValue(name, out string? fixture),
                $"README.md line {readmeLine}: the snippet embeds \"{name}\", which the test scaffold has no file for; add it to {nameof(WeightsFixtures)}.");
            weights.Add(TestAdditionalText.Encoded("/readme/" + name, File.ReadAllBytes(Path.Combine(TestsDirectory(), fixture))));
        }

        GeneratorRun run = GeneratorHarness.Run(source, weights);

        // The generator's own diagnostics (FIXED0xx) are reported beside the compilation's, not in it.
        Diagnostic[] errors = [.. run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error), .. run.CompilationErrors];
        Assert.True(errors.Length == 0,
            $"README.md line {readmeLine}: the snippet does not compile:{Environment.NewLine}" +
            GeneratorHarness.Describe(errors) + Environment.NewLine + "as compiled:" + Environment.NewLine + Numbered(source));
        foreach (string name in declared)
        {
            Assert.True(run.GeneratedSources.Any(s => s.HintName == name + ".g.cs"),
                $"README.md line {readmeLine}: the generator produced no source for [Recurrent] class {name}; it produced " +
                string.Join(", ", run.GeneratedSources.Select(s => s.HintName)) + ".");
        }
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

    /// <summary>
    /// Splits a fragment into usings, type-level declarations and statements: a line starting with <c>[Recurrent</c>
    /// and the lines after it up to its <c>partial class</c> line stay at type level (C# does not allow a type
    /// declaration inside a method, nor top-level statements after one); <c>using X;</c> lines go to the file's top;
    /// the rest is the body of a method. Returns the names of the <c>[Recurrent]</c> classes declared.
    /// </summary>
    private static (string Usings, string Types, string Statements, List<string> Declared) Split(string code)
    {
        var usings = new List<string>(ScaffoldUsings);
        var types = new StringBuilder();
        var statements = new StringBuilder();
        var declared = new List<string>();
        bool inDeclaration = false;
        foreach (string line in code.Split('\n'))
        {
            string trimmed = line.TrimStart();
            if (inDeclaration || trimmed.StartsWith("[Recurrent", StringComparison.Ordinal))
            {
                types.AppendLine(line);
                Match name = PartialClassPattern().Match(line);
                inDeclaration = !name.Success;
                if (name.Success)
                {
                    declared.Add(name.Groups[1].Value);
                }
            }
            else if (UsingPattern().IsMatch(line))
            {
                if (!usings.Contains(trimmed.TrimEnd(), StringComparer.Ordinal))
                {
                    usings.Add(trimmed.TrimEnd());
                }
            }
            else
            {
                statements.AppendLine(line);
            }
        }

        Assert.False(inDeclaration, "A [Recurrent] attribute in a README snippet is not followed by a 'partial class' line.");
        return (string.Join(Environment.NewLine, usings) + Environment.NewLine + Environment.NewLine, types.ToString(), statements.ToString(), declared);
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

    [GeneratedRegex(@"\bpartial\s+class\s+([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex PartialClassPattern();

    [GeneratedRegex(@"^\s*using\s+[A-Za-z_][A-Za-z0-9_.]*\s*;\s*(//.*)?$")]
    private static partial Regex UsingPattern();
}
