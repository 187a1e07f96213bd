// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared),
// which validates the weights files it embeds by the runtime's rules. Keep it netstandard2.0-compatible C#: see
// Runtime/Shared/README.md.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// Formatting for the messages of safetensors errors. The text comes from untrusted files, so every piece
/// quoted from one is cut to a readable length and stripped of control characters: a 100 MB tensor name
/// must not become a 100 MB exception message, and a name must not be able to forge extra message lines.
/// </summary>
internal static class SafeTensorText
{
    private const int MaxQuotedLength = 120;
    private const int MaxListedNames = 12;

    /// <summary><c>'name'</c>, shortened and with control characters shown as <c>?</c>.</summary>
    public static string Quote(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxQuotedLength) + 8);
        builder.Append('\'');
        int length = Math.Min(text.Length, MaxQuotedLength);
        for (int i = 0; i < length; i++)
        {
            char c = text[i];
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        if (text.Length > MaxQuotedLength)
        {
            builder.Append("... (").Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.Append('\'').ToString();
    }

    /// <summary>
    /// Whether <paramref name="text"/> is well-formed UTF-16: no lone surrogates. A JSON writer would escape a lone
    /// surrogate as <c>\ud800</c>, which no reader can decode to a string: such a name must not reach a file.
    /// </summary>
    public static bool IsWellFormed(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>[32, 1]</c>, as PyTorch prints a shape.</summary>
    public static string Shape(IReadOnlyList<int> shape)
    {
        var builder = new StringBuilder("[");
        for (int i = 0; i < shape.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return builder.Append(']').ToString();
    }

    /// <summary>Quoted names separated by commas, the first few only: <c>'a', 'b' and 3 more</c>.</summary>
    public static string Names(IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            return "no tensors";
        }

        var builder = new StringBuilder();
        int listed = Math.Min(names.Count, MaxListedNames);
        for (int i = 0; i < listed; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append(Quote(names[i]));
        }

        if (names.Count > listed)
        {
            builder.Append(" and ").Append((names.Count - listed).ToString(CultureInfo.InvariantCulture)).Append(" more");
        }

        return builder.ToString();
    }
}
