using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Fixed.Generator.Model;

/// <summary>A source location as plain values, so that it can travel down the pipeline and compare equal.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo From(Location location)
    {
        FileLinePositionSpan lines = location.GetLineSpan();
        return new LocationInfo(lines.Path ?? string.Empty, location.SourceSpan, lines.Span);
    }

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}
