using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Fixed.Generator.Model;

/// <summary>
/// A diagnostic as plain values (descriptor, file, span, message arguments), so it can travel through the
/// incremental pipeline and compare equal when nothing changed; turned back into a Diagnostic when reported.
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location location, params object[] arguments) =>
        Create(descriptor, LocationInfo.From(location), arguments);

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo location, params object[] arguments) =>
        new(descriptor, location.FilePath, location.Span, location.LineSpan,
            arguments.Select(a => Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty).ToEquatableArray());

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Descriptor, Location.Create(FilePath, Span, LineSpan), Arguments.Select(a => (object)a).ToArray());
}
