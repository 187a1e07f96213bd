using System;
using System.Linq;
using Fixed.Generator.Model;
using Fixed.Generator.Weights;
using Microsoft.CodeAnalysis;

namespace Fixed.Generator;

/// <summary>
/// Emits a fixed-size recurrent network (inference and BPTT training) for every class marked
/// <c>[Fixed.Recurrent]</c> (or a layer stack, or <c>[Fixed.ModelFile]</c>). The pipeline only finds, parses and emits; see <see cref="Parser"/> and <see cref="Emitter"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class RecurrentGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names, so tests can assert which steps were cached.</summary>
    internal static class Steps
    {
        public const string Parsed = nameof(Parsed);
        public const string WeightsFiles = nameof(WeightsFiles);
        public const string Resolved = nameof(Resolved);
        public const string Specs = nameof(Specs);

        /// <summary>Suffix of the same steps on the [Linear] route (layer stacks without a recurrent layer).</summary>
        public const string LinearRoute = "ViaLinear";

        /// <summary>Suffix of the same steps on the [ModelFile] route (a network read from a model file made elsewhere).</summary>
        public const string ModelFileRoute = "ViaModelFile";

        public const string ModelFiles = nameof(ModelFiles);
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Find the attributed classes through the compiler's attribute index, and turn each into plain values at once:
        // nothing that holds on to a Compilation goes further down the pipeline. A class with a recurrent layer is found
        // through [Recurrent]; a layer stack without one (a per-step MLP) through [Linear]. Each route runs the same steps.
        Register(context, context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Fixed.RecurrentAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                static (context, cancellationToken) => Parser.Parse(context, cancellationToken)), string.Empty);
        Register(context, context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Fixed.LinearAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                static (context, cancellationToken) => Parser.ParseLinear(context, cancellationToken)), Steps.LinearRoute);
        Register(context, context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Fixed.ModelFileAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                static (context, cancellationToken) => Parser.ParseModelFile(context, cancellationToken)), Steps.ModelFileRoute);
    }

    private static void Register(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<ParsedModel> found, string route)
    {
        IncrementalValuesProvider<ParsedModel> parsed = found.WithTrackingName(Steps.Parsed + route);

        // Diagnostics travel apart from the source, so that moving a line re-reports them without re-emitting code.
        context.RegisterSourceOutput(parsed.SelectMany(static (item, _) => item.Diagnostics), static (spc, diagnostic) =>
            spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        IncrementalValuesProvider<ParsedModel> valid = parsed.Where(static item => item.Spec is not null);

        // The Weights names in use, sorted: the only AdditionalFiles worth reading are those they name.
        IncrementalValueProvider<EquatableArray<string>> requested = valid
            .Select(static (item, _) => item.Spec!.Weights)
            .Collect()
            .Select(static (names, _) => names.OfType<string>().Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToEquatableArray());

        // Each named file is read, decoded and validated once, into values: an edit elsewhere leaves it cached, and an
        // edit to the file's content changes the value, which is what re-emits the models that embed it.
        IncrementalValueProvider<EquatableArray<WeightsFile>> files = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, _) => (Text: pair.Left, MatchPath: WeightsFileReader.MatchPath(pair.Left, pair.Right)))
            .Combine(requested)
            .Where(static pair => pair.Right.Any(name => WeightsFileReader.Matches(pair.Left.MatchPath, name)))
            .Select(static (pair, cancellationToken) => WeightsFileReader.Read(pair.Left.Text, pair.Left.MatchPath, cancellationToken))
            .WithTrackingName(Steps.WeightsFiles + route)
            .Collect()
            .Select(static (items, _) => items.ToEquatableArray());

        // The same for [ModelFile]: each named model file is read and converted once, into layers and weights as values.
        IncrementalValueProvider<EquatableArray<string>> requestedModels = valid
            .Select(static (item, _) => item.Spec!.ModelFile)
            .Collect()
            .Select(static (names, _) => names.OfType<string>().Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToEquatableArray());

        IncrementalValueProvider<EquatableArray<ModelFileContent>> modelFiles = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, _) => (Text: pair.Left, MatchPath: WeightsFileReader.MatchPath(pair.Left, pair.Right)))
            .Combine(requestedModels)
            .Where(static pair => pair.Right.Any(name => WeightsFileReader.Matches(pair.Left.MatchPath, name)))
            .Select(static (pair, cancellationToken) => ModelFileReader.Read(pair.Left.Text, pair.Left.MatchPath, cancellationToken))
            .WithTrackingName(Steps.ModelFiles + route)
            .Collect()
            .Select(static (items, _) => items.ToEquatableArray());

        // Each model with the file it names: a Weights file checked tensor by tensor against the model's layout, or a model
        // file whose layers become the model's.
        IncrementalValuesProvider<(NetworkSpec Spec, EquatableArray<byte>? Weights, EquatableArray<DiagnosticInfo> Diagnostics)> resolved = valid
            .Combine(files)
            .Combine(modelFiles)
            .Select(static (pair, _) =>
            {
                ParsedModel parsed = pair.Left.Left;
                if (parsed.Spec!.ModelFile is not null)
                {
                    return ModelFileResolver.Resolve(parsed.Spec, parsed.WeightsLocation, pair.Right);
                }

                (EquatableArray<byte>? weights, EquatableArray<DiagnosticInfo> diagnostics) = WeightsResolver.Resolve(parsed.Spec, parsed.WeightsLocation, pair.Left.Right);
                return (parsed.Spec, weights, diagnostics);
            })
            .WithTrackingName(Steps.Resolved + route);

        context.RegisterSourceOutput(resolved.SelectMany(static (item, _) => item.Diagnostics), static (spc, diagnostic) =>
            spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        IncrementalValuesProvider<ModelToEmit> models = resolved
            .Where(static item => item.Diagnostics.Count == 0)
            .Select(static (item, _) => new ModelToEmit(item.Spec, item.Weights))
            .WithTrackingName(Steps.Specs + route);

        context.RegisterSourceOutput(models, static (spc, model) =>
            spc.AddSource(Emitter.HintName(model.Spec), Emitter.Emit(model)));
    }
}
