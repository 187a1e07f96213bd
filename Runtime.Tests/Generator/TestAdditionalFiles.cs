using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Fixed.Tests.Generator;

/// <summary>
/// An AdditionalFiles item held in memory. <paramref name="text"/> null is what the compiler gives for a binary file;
/// <paramref name="metadata"/> is the item metadata the build passes to analyzers (e.g. FixedWeightsSource).
/// </summary>
internal sealed class TestAdditionalText(string path, string? text, IReadOnlyDictionary<string, string>? metadata = null) : AdditionalText
{
    public override string Path { get; } = path;

    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata ?? new Dictionary<string, string>();

    public override SourceText? GetText(CancellationToken cancellationToken = default) =>
        text is null ? null : SourceText.From(text, Encoding.UTF8);

    /// <summary>A safetensors file as Fixed.targets hands it to the generator: the marker line, then base64.</summary>
    public static TestAdditionalText Encoded(string path, byte[] safetensors, string? originalPath = null) =>
        new(path, Encode(safetensors), originalPath is null ? null : new Dictionary<string, string> { ["FixedWeightsSource"] = originalPath });

    public static string Encode(byte[] safetensors) =>
        "fixed-safetensors-base64 (test)\n" + Convert.ToBase64String(safetensors, Base64FormattingOptions.InsertLineBreaks) + "\n";
}

/// <summary>Analyzer options with each <see cref="TestAdditionalText"/>'s metadata, as MSBuild's generated editorconfig carries it.</summary>
internal sealed class TestAnalyzerConfigOptionsProvider(ImmutableDictionary<string, TestOptions> byPath) : AnalyzerConfigOptionsProvider
{
    public override AnalyzerConfigOptions GlobalOptions { get; } = new TestOptions(ImmutableDictionary<string, string>.Empty);

    public static TestAnalyzerConfigOptionsProvider For(IEnumerable<AdditionalText>? texts) =>
        new((texts ?? []).OfType<TestAdditionalText>()
            .GroupBy(t => t.Path, StringComparer.Ordinal)
            .ToImmutableDictionary(g => g.Key, g => new TestOptions(g.First().Metadata.ToImmutableDictionary(
                m => "build_metadata.AdditionalFiles." + m.Key, m => m.Value))));

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => GlobalOptions;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) =>
        byPath.TryGetValue(textFile.Path, out TestOptions? options) ? options : GlobalOptions;
}

internal sealed class TestOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
{
    public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
}
