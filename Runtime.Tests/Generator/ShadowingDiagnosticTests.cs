using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// FIXED022, and the declarations the generator property test found breaking generated code: a user type that takes over
/// <c>global::System</c>, <c>global::Fixed</c> or a runtime type's full name is reported once, on that type, with no code
/// generated; a second part carrying <c>[return: Recurrent]</c> (ignored by the compiler) does not emit the class twice.
/// </summary>
public sealed class ShadowingDiagnosticTests
{
    [Theory]
    [InlineData("public class System { }", "System", "the namespace System")]
    [InlineData("public enum System { A }", "System", "the namespace System")]
    public void GlobalTypeNamedLikeANamespace_ReportsFIXED022OnIt(string shadow, string name, string needed) =>
        AssertReportedOnce(shadow, name, needed);

    [Fact]
    public void GlobalTypeNamedFixed_LeavesOnlyTheUsersOwnError()
    {
        // The attribute itself cannot be named then (global::Fixed is the struct): the user gets the compiler's error on
        // their attribute, and the generator, never triggered, adds nothing.
        GeneratorRun run = GeneratorHarness.Run("[global::Fixed.Recurrent(1, 8)] public partial class M;\npublic struct Fixed { }");

        Assert.Empty(run.GeneratedSources);
        Assert.NotEmpty(run.CompilationErrors);
        Assert.All(run.CompilationErrors, d => Assert.Equal(GeneratorHarness.SourcePath, d.Location.SourceTree?.FilePath));
    }

    [Theory]
    [InlineData("namespace Fixed { public enum Cell { Rnn } }", "Cell", "Fixed.Cell")]
    [InlineData("namespace Fixed.Engine { public class ParameterStore<T> { } }", "ParameterStore", "Fixed.Engine.ParameterStore<T>")]
    public void SourceTypeWithARuntimeTypesFullName_ReportsFIXED022OnIt(string shadow, string name, string needed) =>
        AssertReportedOnce(shadow, name, needed);

    [Fact]
    public void TypesNamedSystemOrFixedInsideANamespace_AreFine()
    {
        GeneratorRun run = GeneratorHarness.Run(
            "using Fixed;\nnamespace App { public class System { } public class Fixed { } [global::Fixed.Recurrent(1, 8)] public partial class M; }");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
        Assert.Empty(run.CompilationErrors);
    }

    [Theory]
    [InlineData("[return: Recurrent(1, 2)] public partial class M;\n[Recurrent(1, 2)] public partial class M;")]
    [InlineData("[Recurrent(1, 2)] public partial class M;\n[return: Recurrent(1, 2)] public partial class M;")]
    public void SecondPartWithAReturnTargetedAttribute_GeneratesTheClassOnce(string source)
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n" + source);

        Assert.Single(run.GeneratedSources);
        Assert.Empty(run.CompilationErrors);
        Assert.Contains(run.InputCompilation.GetDiagnostics(TestContext.Current.CancellationToken), d => d.Id == "CS0657");
    }

    /// <summary>One FIXED022, on the shadowing type's name, saying what it hides; no code, and no error in generated code.</summary>
    private static void AssertReportedOnce(string shadow, string name, string needed)
    {
        GeneratorRun run = GeneratorHarness.Run("[global::Fixed.Recurrent(1, 8)] public partial class M;\n" + shadow);

        Assert.Empty(run.GeneratedSources);
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FIXED022", diagnostic.Id);
        Assert.Equal(name, DiagnosticAssert.LocatedText(run, diagnostic));
        Assert.Contains(needed, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
        Assert.DoesNotContain(run.CompilationErrors, d => d.Location.SourceTree?.FilePath != GeneratorHarness.SourcePath);
    }
}
