using System;
using System.Collections.Generic;
using System.Linq;
using Fixed.Generator.Diagnostics;
using Fixed.Generator.Model;

namespace Fixed.Generator.Weights;

/// <summary>
/// Pairs a <c>[ModelFile]</c> class with the file it names and turns it into the layer stack's spec that the file's
/// layers make, checked as a hand-written stack is (stack budget, sizes), with the file's weights to compile in.
/// </summary>
internal static class ModelFileResolver
{
    public static (NetworkSpec Spec, EquatableArray<byte>? Weights, EquatableArray<DiagnosticInfo> Diagnostics) Resolve(
        NetworkSpec spec, LocationInfo? location, EquatableArray<ModelFileContent> files)
    {
        LocationInfo at = location ?? new LocationInfo(string.Empty, default, default);
        string path = spec.ModelFile!;
        List<ModelFileContent> matches = files
            .Where(f => WeightsFileReader.Matches(f.MatchPath, path))
            .GroupBy(f => f.MatchPath, StringComparer.Ordinal)
            .Select(g => g.First())
            .ToList();
        if (matches.Count == 0)
        {
            return Fail(spec, DiagnosticInfo.Create(DiagnosticDescriptors.ModelFileNotFound, at, path));
        }

        if (matches.Count > 1)
        {
            return Fail(spec, DiagnosticInfo.Create(DiagnosticDescriptors.ModelFileAmbiguous, at, path, matches.Count,
                string.Join(", ", matches.Select(m => "'" + m.MatchPath + "'"))));
        }

        ModelFileContent file = matches[0];
        if (file.Error is not null)
        {
            return Fail(spec, DiagnosticInfo.Create(file.Unsupported ? DiagnosticDescriptors.ModelFileUnsupported : DiagnosticDescriptors.ModelFileUnreadable, at, path, file.Error));
        }

        if (file.SampleRate != 0 && spec.DeclaresSampleRate)
        {
            return Fail(spec, DiagnosticInfo.Create(DiagnosticDescriptors.ClashesWithGeneratedCode, at, spec.ClassName,
                "has or inherits a member named 'SampleRate', the constant generated from the sample rate in '" + path + "'", "rename that member"));
        }

        List<LayerSpec> layers = file.Layers.Select(l => l with { Window = spec.Window }).ToList();
        NetworkSpec stack = StackParser.StackSpec(spec.Namespace, spec.ContainingTypes, spec.ClassName, layers, null) with
        {
            Window = spec.Window, ModelFile = path, SampleRate = file.SampleRate,
        };
        var diagnostics = new List<DiagnosticInfo>();
        StackParser.CheckSizes(stack, at.ToLocation(), diagnostics);
        return diagnostics.Count > 0
            ? (spec, null, diagnostics.ToEquatableArray())
            : (stack, file.Weights, EquatableArray<DiagnosticInfo>.Empty);
    }

    private static (NetworkSpec, EquatableArray<byte>?, EquatableArray<DiagnosticInfo>) Fail(NetworkSpec spec, DiagnosticInfo diagnostic) =>
        (spec, null, new EquatableArray<DiagnosticInfo>([diagnostic]));
}
