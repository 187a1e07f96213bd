namespace Fixed.Generator.Model;

/// <summary>
/// One [Recurrent] class as values: the spec (null when the declaration is invalid), the declaration's diagnostics,
/// and where the <c>Weights</c> argument is, for the diagnostics about that file. The location is kept out of the
/// spec so that moving the declaration does not re-emit its code.
/// </summary>
internal sealed record ParsedModel(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics, LocationInfo? WeightsLocation);
