using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// The generated code must build in the strictest project a user can have: every warning at every level as an error,
/// nullable on, and documentation checked (CS1591 on a public member without XML docs), for every cell, bias, head and
/// depth, and for the declaration forms the contract allows.
/// </summary>
public sealed class WarningsAsErrorsTests
{
    public static TheoryData<string, bool, int, int> Shapes()
    {
        var data = new TheoryData<string, bool, int, int>();
        foreach (string cell in new[] { "Rnn", "Gru", "Lstm" })
        {
            foreach (bool bias in new[] { true, false })
            {
                foreach (int head in new[] { 0, 3 })
                {
                    for (int layers = 1; layers <= 3; layers++)
                    {
                        data.Add(cell, bias, head, layers);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryShape_CompilesWithAllWarningsAsErrors(string cell, bool bias, int outputSize, int numLayers) =>
        AssertCompilesCleanly($$"""
            using Fixed;

            namespace Demo.Models;

            /// <summary>A model.</summary>
            [Recurrent(2, 5, Cell = Cell.{{cell}}, Bias = {{(bias ? "true" : "false")}}, OutputSize = {{outputSize}}, NumLayers = {{numLayers}})]
            public partial class Model;
            """);

    [Theory]
    [InlineData("GlobalNamespace", """
        /// <summary>A model.</summary>
        [Fixed.Recurrent(1, 4)]
        public partial class Model;
        """)]
    [InlineData("Sealed", """
        namespace Demo;

        /// <summary>A model.</summary>
        [Fixed.Recurrent(1, 4, Cell = Fixed.Cell.Gru)]
        public sealed partial class Model;
        """)]
    [InlineData("NestedTwoDeep", """
        namespace Demo;

        /// <summary>Outer.</summary>
        public partial class Outer
        {
            /// <summary>Middle.</summary>
            public partial struct Middle
            {
                /// <summary>A model.</summary>
                [Fixed.Recurrent(1, 4, Cell = Fixed.Cell.Lstm, NumLayers = 2)]
                public partial class Model;
            }
        }
        """)]
    [InlineData("Internal", """
        namespace Demo;

        [Fixed.Recurrent(1, 4, OutputSize = 2)]
        internal partial class Model;
        """)]
    [InlineData("PrivateNested", """
        namespace Demo;

        /// <summary>Outer.</summary>
        public static partial class Outer
        {
            [Fixed.Recurrent(1, 4)]
            private partial class Model;
        }
        """)]
    [InlineData("Relu", """
        namespace Demo;

        /// <summary>A model.</summary>
        [Fixed.Recurrent(1, 4, Nonlinearity = Fixed.Nonlinearity.Relu, Window = 1)]
        public partial class Model;
        """)]
    [InlineData("KeywordNames", """
        namespace @class.@int;

        /// <summary>A model.</summary>
        [Fixed.Recurrent(1, 4)]
        public partial class @event;
        """)]
    [InlineData("SizeOne", """
        /// <summary>A model.</summary>
        [Fixed.Recurrent(1, 1, Cell = Fixed.Cell.Lstm, OutputSize = 1, Window = 1)]
        public partial class Model;
        """)]
    public void DeclarationForm_CompilesWithAllWarningsAsErrors(string form, string source)
    {
        Assert.NotEmpty(form);
        AssertCompilesCleanly(source);
    }

    /// <summary>Shows the strict options are live: the same check fails on an undocumented public type and on a nullable warning.</summary>
    [Fact]
    public void UndocumentedPublicTypeAndNullableWarning_FailTheStrictBuild()
    {
        GeneratorRun run = GeneratorHarness.Run("public class Undocumented { internal string Name = null; }", GeneratorHarness.StrictOptions);

        Assert.Equal(["CS1591", "CS8625"], run.CompilationDiagnostics.Select(d => d.Id).Order());
        Assert.All(run.CompilationDiagnostics, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
    }

    private static void AssertCompilesCleanly(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source, GeneratorHarness.StrictOptions);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Single(run.GeneratedSources);
        EmitResult emitted = run.OutputCompilation.Emit(Stream.Null);
        Assert.True(emitted.Success && emitted.Diagnostics.IsEmpty,
            GeneratorHarness.Describe(emitted.Diagnostics) + "\n\n" + run.GeneratedSources.Single().SourceText);
    }
}
