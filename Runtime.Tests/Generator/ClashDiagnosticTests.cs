using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// FIXED014: declarations that are valid C# but that the generated part could not join without a compile error or a
/// warning in generated code (file-local types, names and constructors the generated code declares, base classes).
/// The member names are read from generated code, so a new generated member cannot slip past the check.
/// </summary>
public sealed class ClashDiagnosticTests
{
    [Fact]
    public void FileLocalClass_ReportsFIXED014OnTheClassName() =>
        DiagnosticAssert.Reports("[Recurrent(1, 32)] file partial class M;", "FIXED014", "M", "'M' is file-local", "remove the 'file' modifier");

    [Theory]
    [InlineData("public struct State { }", "State")]
    [InlineData("public int Step;", "Step")]
    [InlineData("private float[] _parameters = new float[1];", "_parameters")]
    public void OwnMemberNamedLikeAGeneratedOne_ReportsFIXED014OnThatMember(string member, string name) =>
        DiagnosticAssert.Reports("[Recurrent(1, 32)] public partial class M { " + member + " }", "FIXED014", name, $"declares '{name}'");

    [Fact]
    public void NestedInFileLocalType_ReportsFIXED014NamingTheOuterType() =>
        DiagnosticAssert.Reports("file partial class Outer { [Recurrent(1, 32)] partial class M; }",
            "FIXED014", "M", "nested in the file-local type 'Outer'");

    [Theory]
    [MemberData(nameof(GeneratedMemberNames))]
    public void ClassNamedLikeAGeneratedMember_ReportsFIXED014(string name) =>
        DiagnosticAssert.Reports($"[Recurrent(1, 32)] public partial class {name};", "FIXED014", name, $"'{name}' has the name of a generated member");

    [Theory]
    [InlineData("(int size)")]
    [InlineData("()")]
    public void PrimaryConstructor_ReportsFIXED014OnTheParameterList(string parameters) =>
        DiagnosticAssert.Reports($"[Recurrent(1, 32)] public partial class M{parameters};",
            "FIXED014", parameters, "primary constructor " + parameters, "M() and M(int seed)");

    [Theory]
    [InlineData("public M() { }", "M()")]
    [InlineData("public M(int hidden) { }", "M(int)")]
    public void ConstructorWithAGeneratedSignature_ReportsFIXED014OnTheConstructor(string constructor, string signature) =>
        DiagnosticAssert.Reports("[Recurrent(1, 32)] public partial class M { " + constructor + " }",
            "FIXED014", "M", "declares the constructor " + signature);

    [Theory]
    [InlineData("public M(string path) : this() => Load(path);")]
    [InlineData("public M(ref int seed) : this(seed) => seed++;")]
    [InlineData("public M(long seed) : this((int)seed) { }")]
    public void ConstructorWithAnotherSignature_IsAllowed(string constructor)
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[Recurrent(1, 32)] public partial class M { " + constructor + " }");

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationErrors);
        Assert.Single(run.GeneratedSources);
    }

    [Fact]
    public void BaseWithoutParameterlessConstructor_ReportsFIXED014NamingTheBase() =>
        DiagnosticAssert.Reports(
            DiagnosticAssert.RunInvalid("public class Base { protected Base(int x) { } }\n[Recurrent(1, 32)] public partial class M : Base;", "CS7036"),
            "FIXED014", "M", "derives from 'Base', which has no accessible parameterless constructor");

    [Fact]
    public void DerivedFromAnotherRecurrentClass_ReportsFIXED014AndStillGeneratesTheBase()
    {
        GeneratorRun run = GeneratorHarness.Run("using Fixed;\n[Recurrent(1, 4)] public partial class A;\n[Recurrent(1, 4)] public partial class B : A;");

        Assert.Equal("A.g.cs", Assert.Single(run.GeneratedSources).HintName);
        Assert.Empty(run.CompilationErrors);
        DiagnosticAssert.Reports(run, "FIXED014", "B", "derives from the [Recurrent] class 'A'");
    }

    [Theory]
    [MemberData(nameof(GeneratedMemberNames))]
    public void BaseFieldNamedLikeAGeneratedMember_ReportsFIXED014(string name) =>
        DiagnosticAssert.Reports($"public class Base {{ public int {name}; }}\n[Recurrent(1, 32)] public partial class M : Base;",
            "FIXED014", "M", $"whose member 'Base.{name}' a generated member would hide");

    /// <summary>
    /// An inherited method is only hidden by a generated property, field or type of its name; a generated method of
    /// that name overloads it, which is allowed and must compile with every warning as an error.
    /// </summary>
    [Theory]
    [MemberData(nameof(GeneratedMembers))]
    public void BaseMethodNamedLikeAGeneratedMember_IsOverloadedOrReportsFIXED014(string name, bool generatedIsMethod)
    {
        string source = $$"""
            /// <summary>A base.</summary>
            public class Base
            {
                /// <summary>A method.</summary>
                public void {{name}}(string a, string b, string c, string d) { }
            }

            /// <summary>A model.</summary>
            [Fixed.Recurrent(1, 32)]
            public partial class M : Base;
            """;
        GeneratorRun run = GeneratorHarness.Run(source, GeneratorHarness.StrictOptions);

        if (generatedIsMethod)
        {
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.True(run.CompilationDiagnostics.IsEmpty, GeneratorHarness.Describe(run.CompilationDiagnostics));
        }
        else
        {
            Assert.Equal("FIXED014", Assert.Single(run.GeneratorDiagnostics).Id);
            Assert.Empty(run.GeneratedSources);
        }
    }

    public static TheoryData<string> GeneratedMemberNames() => new(ReadGeneratedMembers().Select(m => m.Name));

    public static TheoryData<string, bool> GeneratedMembers()
    {
        var data = new TheoryData<string, bool>();
        foreach ((string name, bool isMethod) in ReadGeneratedMembers())
        {
            data.Add(name, isMethod);
        }

        return data;
    }

    /// <summary>The members the generated class declares directly (explicit interface implementations excluded), read from a generated LSTM with a head.</summary>
    private static IEnumerable<(string Name, bool IsMethod)> ReadGeneratedMembers()
    {
        string generated = GeneratorHarness.Run("using Fixed;\n[Recurrent(1, 2, Cell = Cell.Lstm, OutputSize = 1)] public partial class M;")
            .Source("M.g.cs");
        ClassDeclarationSyntax model = CSharpSyntaxTree.ParseText(generated).GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().First();
        return model.Members
            .SelectMany(member => member switch
            {
                BaseTypeDeclarationSyntax type => [(type.Identifier.ValueText, false)],
                PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property => [(property.Identifier.ValueText, false)],
                MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method => [(method.Identifier.ValueText, true)],
                BaseFieldDeclarationSyntax field => field.Declaration.Variables.Select(v => (v.Identifier.ValueText, false)),
                _ => Enumerable.Empty<(string, bool)>(),
            })
            .Distinct()
            .OrderBy(m => m.Item1, System.StringComparer.Ordinal);
    }
}
