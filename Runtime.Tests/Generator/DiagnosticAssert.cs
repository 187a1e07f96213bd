using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>Assertions shared by the diagnostic tests: what a rejected declaration must and must not produce.</summary>
internal static class DiagnosticAssert
{
    /// <summary>
    /// Runs the generator over <paramref name="declaration"/> (with <c>using Fixed;</c>) and asserts that it generated
    /// nothing and that the compilation has no errors but <paramref name="userCodeErrors"/>, the ones the user's own
    /// code has without any generator: a rejected declaration never leaves broken generated code behind.
    /// </summary>
    public static GeneratorRun RunInvalid(string declaration, params string[] userCodeErrors)
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n" + declaration);

        Assert.Empty(run.GeneratedSources);
        Assert.True(run.CompilationErrors.Select(d => d.Id).Order().SequenceEqual(userCodeErrors.Order()),
            "A rejected declaration must not fail to compile otherwise:\n" + GeneratorHarness.Describe(run.CompilationErrors));
        return run;
    }

    /// <summary>Exactly one diagnostic, <paramref name="id"/>, located on <paramref name="locatedText"/>, whose message contains every fragment.</summary>
    public static void Reports(string declaration, string id, string locatedText, params string[] messageFragments) =>
        Reports(RunInvalid(declaration), id, locatedText, messageFragments);

    public static void Reports(GeneratorRun run, string id, string locatedText, params string[] messageFragments)
    {
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(GeneratorHarness.SourcePath, diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(locatedText, LocatedText(run, diagnostic));
        string message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
        Assert.All(messageFragments, fragment => Assert.Contains(fragment, message, System.StringComparison.Ordinal));
    }

    /// <summary>The source text a diagnostic points at.</summary>
    public static string LocatedText(GeneratorRun run, Diagnostic diagnostic) =>
        run.InputCompilation.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path).GetText().ToString(diagnostic.Location.SourceSpan);
}
