using Fixed.Generator.Model;
using Microsoft.CodeAnalysis;

namespace Fixed.Generator;

/// <summary>
/// Emits a fixed-size recurrent network (inference and BPTT training) for every class marked
/// <c>[Fixed.Recurrent]</c>. The pipeline only finds, parses and emits; see <see cref="Parser"/> and <see cref="Emitter"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class RecurrentGenerator : IIncrementalGenerator
{
    /// <summary>Tracking names, so tests can assert which steps were cached.</summary>
    internal static class Steps
    {
        public const string Parsed = nameof(Parsed);
        public const string Specs = nameof(Specs);
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Find the attributed classes through the compiler's attribute index, and turn each into plain values
        // at once: nothing that holds on to a Compilation goes further down the pipeline.
        IncrementalValuesProvider<(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "Fixed.RecurrentAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
            .WithTrackingName(Steps.Parsed);

        // Diagnostics travel apart from the source, so that moving a line re-reports them without re-emitting code.
        context.RegisterSourceOutput(parsed.SelectMany(static (item, _) => item.Diagnostics), static (spc, diagnostic) =>
            spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        IncrementalValuesProvider<NetworkSpec> specs = parsed
            .Where(static item => item.Spec is not null)
            .Select(static (item, _) => item.Spec!)
            .WithTrackingName(Steps.Specs);

        context.RegisterSourceOutput(specs, static (spc, spec) =>
            spc.AddSource(Emitter.HintName(spec), Emitter.Emit(spec)));
    }
}
