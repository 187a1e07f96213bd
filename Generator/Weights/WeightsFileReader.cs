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
/// An analyzer sees an AdditionalFiles item only as text (<see cref="AdditionalText.GetText"/>), and the compiler
/// refuses to decode a binary file: <c>GetText</c> returns null and the build fails with CS2015 ("is a binary file
/// instead of a text file"); every safetensors file has the NUL bytes that make it "binary". Reading the file from
/// disk instead is barred for analyzers (RS1035), would go stale in the IDE and fail where there is no disk. So the
/// bytes travel as text: the package's <c>build/Fixed.targets</c> replaces each <c>*.safetensors</c> AdditionalFiles
/// item, before the compiler runs, with a copy under <c>obj/</c> that holds <see cref="Marker"/> on its first line and
/// the file's base64 after it, and records the original path in the item metadata <see cref="SourceMetadata"/>.
/// </remarks>
internal static class WeightsFileReader
{
    /// <summary>The first line of an encoded weights file; the rest is the safetensors file in base64.</summary>
    public const string Marker = "fixed-safetensors-base64";

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
        int firstLineEnd = content.IndexOf('\n');
        string firstLine = (firstLineEnd < 0 ? content : content.Substring(0, firstLineEnd)).TrimEnd('\r');
        if (!firstLine.StartsWith(Marker, StringComparison.Ordinal))
        {
            return WeightsFile.Invalid(matchPath,
                "it is a text file but not a base64-encoded safetensors file (whose first line is '" + Marker + "'): list the " +
                ".safetensors file itself in AdditionalFiles, and Fixed.targets (imported by the Fixed package) encodes it");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(firstLineEnd < 0 ? string.Empty : content.Substring(firstLineEnd + 1));
        }
        catch (FormatException)
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
