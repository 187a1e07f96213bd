using System;
using System.Collections.Generic;
using System.Threading;
using Fixed.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Fixed.Generator.Weights;

/// <summary>
/// Finds and reads the AdditionalFiles items that <c>Weights</c> names.
/// </summary>
/// <remarks>
/// A safetensors file reaches the generator as the base64 copy that <c>build/Fixed.targets</c> makes of it (see
/// <see cref="EncodedAdditionalFile"/>); the item metadata <see cref="SourceMetadata"/> holds the original's path.
/// </remarks>
internal static class WeightsFileReader
{
    /// <summary>The first line of an encoded weights file; the rest is the safetensors file in base64.</summary>
    public static readonly string Marker = EncodedAdditionalFile.Marker("safetensors");

    /// <summary>The AdditionalFiles metadata, written by Fixed.targets, holding the path of the encoded file's original.</summary>
    public const string SourceMetadata = "build_metadata.AdditionalFiles.FixedWeightsSource";

    /// <summary>The path <c>Weights</c> is matched against: the original's when the item is an encoded copy, else the item's own.</summary>
    public static string MatchPath(AdditionalText text, AnalyzerConfigOptionsProvider options) =>
        options.GetOptions(text).TryGetValue(SourceMetadata, out string? source) && !string.IsNullOrWhiteSpace(source) ? source : text.Path;

    /// <summary>
    /// Whether <paramref name="weights"/>, as written in the attribute, names the item at <paramref name="path"/>: a file
    /// name or a relative path whose segments end the item's path. Separators '/' and '\' are the same, case is ignored
    /// (the file systems of Windows and macOS ignore it), and a leading <c>./</c> is dropped.
    /// </summary>
    public static bool Matches(string path, string weights)
    {
        string name = weights.Replace('\\', '/');
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name.Substring(2);
        }

        if (name.Length == 0)
        {
            return false;
        }

        string normalized = path.Replace('\\', '/');
        return normalized.Equals(name, StringComparison.OrdinalIgnoreCase) ||
            normalized.EndsWith("/" + name, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads, decodes and validates one item; every failure becomes the file's <see cref="WeightsFile.Error"/>.</summary>
    public static WeightsFile Read(AdditionalText text, string matchPath, CancellationToken cancellationToken)
    {
        SourceText? source = text.GetText(cancellationToken);
        if (source is null)
        {
            return WeightsFile.Invalid(matchPath,
                "the compiler could not read it as text, and a binary file reaches a source generator only as text: the Fixed " +
                "package's build/Fixed.targets replaces each *.safetensors AdditionalFiles item with a base64 copy before " +
                "compiling; when you reference the generator without the package, import that file into the project");
        }

        string content = source.ToString();
        if (!EncodedAdditionalFile.IsEncoded(content, out string extension) || extension != "safetensors")
        {
            return WeightsFile.Invalid(matchPath,
                "it is a text file but not a base64-encoded safetensors file (whose first line is '" + Marker + "'): list the " +
                ".safetensors file itself in AdditionalFiles, and Fixed.targets (imported by the Fixed package) encodes it");
        }

        byte[]? bytes = EncodedAdditionalFile.Decode(content);
        if (bytes is null)
        {
            return WeightsFile.Invalid(matchPath, "its base64 text is malformed: delete the encoded copy under obj/ and rebuild");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!SafeTensorsReader.TryRead(bytes, out List<SafeTensorsEntry> entries, out int dataStart, out string error))
        {
            return WeightsFile.Invalid(matchPath, "it is not a valid safetensors file: " + error);
        }

        byte[] data = new byte[bytes.Length - dataStart];
        Array.Copy(bytes, dataStart, data, 0, data.Length);
        return new WeightsFile(matchPath, entries.ToEquatableArray(), new EquatableArray<byte>(data), null);
    }
}
