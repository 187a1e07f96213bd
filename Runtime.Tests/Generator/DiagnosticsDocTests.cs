using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Fixed.Generator;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// docs/diagnostics.md is the reference every diagnostic's description points to (it ships in the package; there is
/// no help link, since the project has no public web address): each ID has a section under a heading with its ID,
/// the release-tracking file lists it, and the doc's one-line examples report the ID their comment says (or nothing,
/// for a line marked as the fix).
/// </summary>
public sealed partial class DiagnosticsDocTests
{
    public static TheoryData<string> Ids() => new(Descriptors().Select(d => d.Id));

    /// <summary>
    /// FIXED001-031 were numbered one after another; since then each line of work takes IDs from a range reserved for it
    /// (so that branches developed side by side cannot pick the same one), which leaves gaps until a range is used up.
    /// </summary>
    [Fact]
    public void Descriptors_AreNumberedWithoutRepeats_TheFirst31WithoutGaps()
    {
        // IDs are handed out in ranges reserved per feature (work in parallel lands in any order), so a range may still
        // have unused numbers: the IDs are unique, three-digit, and FIXED001 to FIXED031 (the first features') have no gap.
        string[] ids = Descriptors().Select(d => d.Id).ToArray();

        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^FIXED0[0-9][0-9]$", id));
        Assert.Subset(ids.ToHashSet(), Enumerable.Range(1, 31).Select(i => "FIXED" + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void EveryDescriptor_HasASectionInTheDocItsDescriptionNames(string id)
    {
        DiagnosticDescriptor descriptor = Descriptors().Single(d => d.Id == id);
        string doc = Read("docs/diagnostics.md");

        Assert.Equal(string.Empty, descriptor.HelpLinkUri);
        Assert.Contains("docs/diagnostics.md", descriptor.Description.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        // GitHub's anchor for a heading "## FIXED001" is "#fixed001".
        Assert.Contains("\n## " + id + "\n", doc, StringComparison.Ordinal);
        string section = Section(doc, id);
        Assert.Contains("**" + descriptor.Title + ".**", section, StringComparison.Ordinal);
        Assert.Contains("Fix:", section, StringComparison.Ordinal);
        Assert.Contains("```", section, StringComparison.Ordinal);
        Assert.Contains("| [" + id + "](#" + id.ToLowerInvariant() + ") | " + descriptor.Title + " |", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDoc_ShipsInThePackageWhereTheDescriptionsSayItIs() =>
        Assert.Contains("<None Include=\"..\\docs\\diagnostics.md\" Pack=\"true\" PackagePath=\"docs\"", Read("Runtime/Runtime.csproj"), StringComparison.Ordinal);

    [Fact]
    public void EverySectionOfTheDoc_IsADescriptor()
    {
        string[] sections = SectionHeading().Matches(Read("docs/diagnostics.md")).Select(m => m.Groups[1].Value).ToArray();

        Assert.Equal(Descriptors().Select(d => d.Id).Order(), sections.Order());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void EveryDescriptor_IsInTheReleaseTrackingFile(string id)
    {
        DiagnosticDescriptor descriptor = Descriptors().Single(d => d.Id == id);

        Assert.Contains(id + " | Fixed | " + descriptor.DefaultSeverity + " | " + descriptor.Title, Read("Generator/AnalyzerReleases.Unshipped.md"), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?> Examples()
    {
        var data = new TheoryData<string, string, string?>();
        string doc = Read("docs/diagnostics.md");
        foreach (Match block in CSharpBlock().Matches(doc))
        {
            foreach (string line in block.Groups[1].Value.Split('\n'))
            {
                // One-line declarations; those with a Weights file need AdditionalFiles and are covered by WeightsDiagnosticTests.
                if (!line.Contains("[Recurrent(", StringComparison.Ordinal) || line.Contains("Weights", StringComparison.Ordinal))
                {
                    continue;
                }

                string section = doc[..block.Index].Split("\n## ")[^1].Split('\n')[0];
                int comment = line.IndexOf("//", StringComparison.Ordinal);
                Match expected = DiagnosticId().Match(comment < 0 ? string.Empty : line[comment..]);
                data.Add(section, line, expected.Success ? expected.Value : null);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void DocExample_ReportsTheIdItsCommentSays(string section, string line, string? expectedId)
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n" + line);

        string[] ids = run.GeneratorDiagnostics.Select(d => d.Id).Distinct().ToArray();
        if (expectedId is null)
        {
            Assert.True(ids.Length == 0, section + ": " + line + " reports " + string.Join(", ", ids));
            Assert.NotEmpty(run.GeneratedSources);
        }
        else
        {
            Assert.Equal([expectedId], ids);
        }
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors() =>
        typeof(RecurrentGenerator).Assembly.GetType("Fixed.Generator.Diagnostics.DiagnosticDescriptors", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!);

    private static string Section(string doc, string id)
    {
        int start = doc.IndexOf("\n## " + id + "\n", StringComparison.Ordinal);
        int end = doc.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? doc[start..] : doc[start..end];
    }

    /// <summary>A file of the repository, found from this test's source path (the docs are not copied to the output).</summary>
    private static string Read(string relativePath, [CallerFilePath] string testFile = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(testFile)!, "..", "..", relativePath)).Replace("\r\n", "\n", StringComparison.Ordinal);

    [GeneratedRegex(@"^## (FIXED\d{3})$", RegexOptions.Multiline)]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"FIXED\d{3}")]
    private static partial Regex DiagnosticId();
}
