using System;

namespace Fixed.Generator.Weights;

/// <summary>
/// The text form in which a binary AdditionalFiles item reaches the generator. The compiler hands an analyzer an
/// AdditionalFiles item only as decoded text: it decodes strict UTF-8 (or by a byte order mark), and on invalid UTF-8
/// falls back to the system code page (UTF-8 with U+FFFD replacement on Linux, so bytes are lost) with binary detection
/// (two NUL characters: <c>GetText()</c> is null and the build fails with CS2015). A weights blob is never valid UTF-8
/// and nearly always has two NULs in a row, so the package's <c>build/Fixed.targets</c> replaces each <c>*.safetensors</c>
/// and <c>*.onnx</c> item, before the compiler runs, with a copy under <c>obj/</c>: a first line
/// <c>fixed-{extension}-base64 (...)</c>, then the file's bytes in base64.
/// </summary>
internal static class EncodedAdditionalFile
{
    private const string Prefix = "fixed-";
    private const string Suffix = "-base64";

    /// <summary>The first-line marker of an encoded copy of a file with this extension (without its dot): <c>fixed-onnx-base64</c>.</summary>
    public static string Marker(string extension) => Prefix + extension + Suffix;

    /// <summary>Whether the text is an encoded copy: its first word is a <see cref="Marker"/>; <paramref name="extension"/> is the one it names.</summary>
    public static bool IsEncoded(string content, out string extension)
    {
        int end = 0;
        while (end < content.Length && end < 64 && content[end] is not (' ' or '\n' or '\r'))
        {
            end++;
        }

        string word = content.Substring(0, end);
        bool encoded = word.Length > Prefix.Length + Suffix.Length &&
            word.StartsWith(Prefix, StringComparison.Ordinal) && word.EndsWith(Suffix, StringComparison.Ordinal);
        extension = encoded ? word.Substring(Prefix.Length, word.Length - Prefix.Length - Suffix.Length) : string.Empty;
        return encoded;
    }

    /// <summary>The bytes of an encoded copy (everything after its first line, in base64); null when the base64 is malformed.</summary>
    public static byte[]? Decode(string content)
    {
        int firstLineEnd = content.IndexOf('\n');
        try
        {
            return Convert.FromBase64String(firstLineEnd < 0 ? string.Empty : content.Substring(firstLineEnd + 1));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
