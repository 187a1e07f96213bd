using System;
using System.Collections.Generic;
using System.Linq;
using Fixed.Generator.Diagnostics;
using Fixed.Generator.Model;
using Fixed.Generator.Shared;

namespace Fixed.Generator.Weights;

/// <summary>
/// Pairs a model whose attribute names a <c>Weights</c> file with that file, checks the file against the model's
/// tensors (every one present, F32, of its exact shape, nothing else), and lays the floats out in parameter order.
/// </summary>
internal static class WeightsResolver
{
    private const string F32 = "F32";

    /// <summary>The weights bytes to embed (null when the model names none), or the diagnostics that say why not.</summary>
    public static (EquatableArray<byte>? Weights, EquatableArray<DiagnosticInfo> Diagnostics) Resolve(
        NetworkSpec spec, LocationInfo? location, EquatableArray<WeightsFile> files)
    {
        if (spec.Weights is null)
        {
            return (null, EquatableArray<DiagnosticInfo>.Empty);
        }

        LocationInfo at = location ?? new LocationInfo(string.Empty, default, default);
        string weights = spec.Weights;

        // The same item listed twice is one file.
        List<WeightsFile> matches = files
            .Where(f => WeightsFileReader.Matches(f.MatchPath, weights))
            .GroupBy(f => f.MatchPath, StringComparer.Ordinal)
            .Select(g => g.First())
            .ToList();
        if (matches.Count == 0)
        {
            return Fail(DiagnosticInfo.Create(DiagnosticDescriptors.WeightsFileNotFound, at, weights));
        }

        if (matches.Count > 1)
        {
            return Fail(DiagnosticInfo.Create(DiagnosticDescriptors.WeightsFileAmbiguous, at, weights, matches.Count,
                string.Join(", ", matches.Select(m => "'" + m.MatchPath + "'"))));
        }

        WeightsFile file = matches[0];
        if (file.Error is not null)
        {
            return Fail(DiagnosticInfo.Create(DiagnosticDescriptors.WeightsFileUnreadable, at, weights, file.Error));
        }

        var diagnostics = new List<DiagnosticInfo>();
        var byName = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        foreach (SafeTensorsEntry entry in file.Entries)
        {
            byName.Add(entry.Name, entry);
        }

        List<(string Name, long Offset, int[] Shape)> tensors = Emitter.Tensors(spec).ToList();
        var expected = new HashSet<string>(tensors.Select(t => t.Name), StringComparer.Ordinal);
        var embedded = new byte[checked((int)(spec.ParameterCount * sizeof(float)))];
        foreach ((string name, long offset, int[] shape) in tensors)
        {
            if (!byName.TryGetValue(name, out SafeTensorsEntry? entry))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WeightsTensorMissing, at, weights, name, SafeTensorText.Shape(shape), spec.ClassName,
                    SafeTensorText.Names(file.Entries.Select(e => e.Name).ToList())));
                continue;
            }

            bool sameShape = InitialStateShape.Fits(name, entry.Shape, shape);
            if (entry.DType != F32)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WeightsTensorWrongDType, at, weights, name, entry.DType));
            }

            if (!sameShape)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WeightsTensorWrongShape, at, weights, name,
                    SafeTensorText.Shape(entry.Shape), spec.ClassName, SafeTensorText.Shape(shape)));
            }

            if (entry.DType == F32 && sameShape)
            {
                // F32 of the exact shape: the bytes are the floats, little-endian, row-major, as Parameters holds them.
                file.Data.AsSpan().Slice((int)entry.Begin, (int)(entry.End - entry.Begin)).CopyTo(embedded.AsSpan((int)(offset * sizeof(float))));
            }
        }

        foreach (SafeTensorsEntry entry in file.Entries)
        {
            if (!expected.Contains(entry.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WeightsTensorUnexpected, at, weights, SafeTensorText.Quote(entry.Name), spec.ClassName,
                    SafeTensorText.Names(tensors.Select(t => t.Name).ToList())));
            }
        }

        return diagnostics.Count > 0
            ? (null, diagnostics.ToEquatableArray())
            : (new EquatableArray<byte>(embedded), EquatableArray<DiagnosticInfo>.Empty);
    }

    private static (EquatableArray<byte>?, EquatableArray<DiagnosticInfo>) Fail(DiagnosticInfo diagnostic) =>
        (null, new EquatableArray<DiagnosticInfo>([diagnostic]));
}
