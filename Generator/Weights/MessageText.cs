using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Fixed.Generator.Weights;

/// <summary>
/// Formatting for diagnostics about a weights file. Names come from an untrusted file, so each is cut to a readable
/// length and stripped of control characters: a name must not be able to forge extra lines in the build log.
/// </summary>
internal static class MessageText
{
    private const int MaxQuotedLength = 120;
    private const int MaxListedNames = 12;

    /// <summary><c>'name'</c>, shortened and with control characters shown as <c>?</c>.</summary>
    public static string Quote(string text)
    {
        var builder = new StringBuilder("'");
        int length = System.Math.Min(text.Length, MaxQuotedLength);
        for (int i = 0; i < length; i++)
        {
            builder.Append(char.IsControl(text[i]) ? '?' : text[i]);
        }

        if (text.Length > MaxQuotedLength)
        {
            builder.Append("... (").Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.Append('\'').ToString();
    }

    /// <summary><c>[32, 1]</c>, as PyTorch prints a shape.</summary>
    public static string Shape(IEnumerable<int> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Quoted names separated by commas, the first few only: <c>'a', 'b' and 3 more</c>.</summary>
    public static string Names(IReadOnlyList<string> names)
    {
        if (names.Count == 0)
        {
            return "no tensors";
        }

        string listed = string.Join(", ", names.Take(MaxListedNames).Select(Quote));
        return names.Count > MaxListedNames
            ? listed + " and " + (names.Count - MaxListedNames).ToString(CultureInfo.InvariantCulture) + " more"
            : listed;
    }
}
