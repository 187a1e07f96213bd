using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using CsCheck;
using Fixed.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Fixed.Tests.Reliability;

/// <summary>
/// The generator never fails: thousands of random declarations — sizes from negative to int.MaxValue, every
/// attribute argument in every order (repeated, missing, non-constant, of the wrong type, undefined enum casts),
/// and odd syntax around the class (nesting, generics, file-scoped and nested namespaces, <c>file</c> classes,
/// missing <c>partial</c>, structs, records, interfaces, static and abstract classes, duplicate attributes, aliases) —
/// and for each: no exception escapes the generator, and the compilation either has no error, or carries a FIXED0xx
/// diagnostic, or its errors are C# errors in the user's own source; never an error or warning in generated code,
/// and never an attributed class silently left without code when nothing reports an error.
/// </summary>
public sealed class GeneratorPropertyTests(ITestOutputHelper output)
{
    public const string IterationsVariable = "FIXED_GENERATOR_CASES";

    /// <summary>
    /// The CI property: the same declarations every run (a fixed generator seed), so that the suite is deterministic
    /// and a failure reproduces. It stops at the first violation. New cases are drawn, and every kind of failure
    /// listed, by the console modes (<see cref="Explore"/>, <see cref="Survey"/>), not by this test.
    /// </summary>
    [Fact]
    public void RandomDeclarations_GeneratorNeverThrowsAndNeverEmitsBrokenCode()
    {
        long iterations = ConsoleEntry.Number(IterationsVariable, 800);
        Assert.True(iterations > 0, $"{IterationsVariable}={iterations}: the property needs at least one case.");
        var tally = new Tally();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var random = new PCG(1, 20261127);
        for (long i = 0; i < iterations; i++)
        {
            string source = Declarations.Source.Generate(random, null, out _);
            string? problem = Check(source, tally, TestContext.Current.CancellationToken);
            if (problem is not null)
            {
                Assert.Fail($"case {i}: {problem}{Environment.NewLine}{source}");
            }
        }

        Assert.Equal(iterations, tally.Cases);
        Figures.Write(output, tally.Format(clock.Elapsed));
    }

    /// <summary>
    /// Console mode <c>generator-explore</c> (<see cref="ConsoleEntry"/>): fresh random declarations each run, with
    /// CsCheck's shrinking; stops at the first failure and prints its smallest source. For hunting, not for CI.
    /// </summary>
    internal static int Explore(long iterations, System.IO.TextWriter console)
    {
        var tally = new Tally();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            Declarations.Source.Sample(
                source =>
                {
                    if (Check(source, tally, CancellationToken.None) is { } problem)
                    {
                        throw new InvalidOperationException(problem);
                    }
                },
                iter: iterations,
                print: source => Environment.NewLine + source);
        }
        catch (Exception e)
        {
            console.WriteLine(e.Message);
            return 1;
        }

        console.WriteLine(tally.Format(clock.Elapsed));
        return 0;
    }

    /// <summary>
    /// Console mode <c>generator-survey</c> (<see cref="ConsoleEntry"/>): fresh random declarations, every kind of failure
    /// listed (first line of each, with its smallest source) instead of stopping at the first. Exits 1 if there was any.
    /// </summary>
    internal static int Survey(long iterations, System.IO.TextWriter console)
    {
        var tally = new Tally();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var survey = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        Declarations.Source.Sample(
            source =>
            {
                if (Check(source, tally, CancellationToken.None) is not { } problem)
                {
                    return;
                }

                string key = System.Text.RegularExpressions.Regex.Replace(problem.Split('\n').Skip(1).FirstOrDefault() ?? problem, @"^[^:]*\(\d+,\d+\): ", "");
                key = System.Text.RegularExpressions.Regex.Replace(key, "'[^']*'", "'_'");
                string entry = problem + "\n" + source;
                survey.AddOrUpdate(key, entry, (_, old) => old.Length <= entry.Length ? old : entry);
            },
            iter: iterations);

        foreach ((string problem, string example) in survey)
        {
            console.WriteLine("SURVEY " + problem + Environment.NewLine + example);
        }

        console.WriteLine(tally.Format(clock.Elapsed) + $"; {survey.Count} kinds of failure");
        return survey.IsEmpty ? 0 : 1;
    }

    /// <summary>What the checked compilations held.</summary>
    private sealed class Tally
    {
        public long Cases, Generated, WithFixedDiagnostic, WithUserErrors, Clean, Declarations;

        public string Format(TimeSpan elapsed) =>
            $"generator property test: {Cases} compilations holding {Declarations} [Recurrent] declarations in {elapsed.TotalSeconds:F1} s; " +
            $"{Generated} generated files; {Clean} compilations without errors, {WithFixedDiagnostic} with a FIXED diagnostic, " +
            $"{WithUserErrors} with only C# errors in the user's source; no generator exception, no diagnostic in generated code";
    }

    /// <summary>The property, for one compilation: null when it holds, else what broke.</summary>
    private static string? Check(string source, Tally tally, CancellationToken cancel)
    {
        // A quarter of the cases build as strictly as a user can: every warning at every level is an error.
        bool strict = (source.Length & 3) == 0;
        CSharpCompilation input = GeneratorHarness.Compile(source, strict ? GeneratorHarness.StrictOptions : GeneratorHarness.DefaultOptions);
        GeneratorDriver driver = GeneratorHarness.CreateDriver()
            .RunGeneratorsAndUpdateCompilation(input, out Compilation compiled, out ImmutableArray<Diagnostic> driverDiagnostics, cancel);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        ImmutableArray<Diagnostic> diagnostics = compiled.GetDiagnostics(cancel);
        Diagnostic? crash = driverDiagnostics.Concat(diagnostics).Concat(result.Diagnostics).FirstOrDefault(d => d.Id is "CS8785" or "AD0001");
        if (result.Exception is not null)
        {
            return "the generator threw:\n" + result.Exception;
        }

        if (crash is not null)
        {
            return "the generator failed:\n" + crash;
        }

        var generatedTrees = new HashSet<SyntaxTree>(compiled.SyntaxTrees.Except(input.SyntaxTrees));
        Diagnostic[] inGenerated = diagnostics
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generatedTrees.Contains(tree))
            .ToArray();
        if (inGenerated.Length > 0)
        {
            return "diagnostics in generated code (" + string.Join(", ", inGenerated.Select(d => d.Id).Distinct()) + "; the user's: " +
                string.Join(", ", diagnostics.Concat(result.Diagnostics).Where(d => d.Severity == DiagnosticSeverity.Error && !generatedTrees.Contains(d.Location.SourceTree!)).Select(d => d.Id).Distinct()) +
                "):\n" + GeneratorHarness.Describe(inGenerated.Take(5));
        }

        // The generator's own diagnostics (FIXED0xx) are reported beside the compilation's, not inside it.
        Diagnostic[] errors = diagnostics.Concat(result.Diagnostics).Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        bool hasFixed = errors.Any(d => d.Id.StartsWith("FIXED", StringComparison.Ordinal));
        Diagnostic[] nowhere = errors.Where(d => d.Location.SourceTree is null && !d.Id.StartsWith("FIXED", StringComparison.Ordinal)).ToArray();
        if (nowhere.Length > 0 && !hasFixed)
        {
            return "errors outside the user's source:\n" + GeneratorHarness.Describe(nowhere);
        }

        // No silence: with no error at all, every attributed class got its code.
        int attributed = AttributedClasses(compiled);
        if (errors.Length == 0 && result.GeneratedSources.Length < attributed)
        {
            return $"silence:\nno error, but {attributed} [Recurrent] classes and only {result.GeneratedSources.Length} generated files";
        }

        Interlocked.Increment(ref tally.Cases);
        Interlocked.Add(ref tally.Generated, result.GeneratedSources.Length);
        Interlocked.Add(ref tally.Declarations, CountOccurrences(source, "[Recurrent") + CountOccurrences(source, "[R(") + CountOccurrences(source, "[Fixed.Recurrent") + CountOccurrences(source, "[global::Fixed.Recurrent"));
        if (errors.Length == 0)
        {
            Interlocked.Increment(ref tally.Clean);
        }
        else if (hasFixed)
        {
            Interlocked.Increment(ref tally.WithFixedDiagnostic);
        }
        else
        {
            Interlocked.Increment(ref tally.WithUserErrors);
        }

        return null;
    }

    private static int CountOccurrences(string text, string needle)
    {
        int count = 0;
        for (int at = text.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = text.IndexOf(needle, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static int AttributedClasses(Compilation compilation)
    {
        INamedTypeSymbol? attribute = compilation.GetTypeByMetadataName("Fixed.RecurrentAttribute");
        int count = 0;
        var stack = new Stack<INamespaceOrTypeSymbol>([compilation.Assembly.GlobalNamespace]);
        while (stack.Count > 0)
        {
            foreach (ISymbol member in stack.Pop().GetMembers())
            {
                if (member is INamespaceOrTypeSymbol container)
                {
                    stack.Push(container);
                }

                if (member is INamedTypeSymbol type && type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute)))
                {
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>The random sources: CsCheck generators, so that a failure shrinks towards a smaller declaration.</summary>
    private static class Declarations
    {
        private static readonly Gen<string> Size = Gen.Frequency(
            (40, Gen.Int[1, 8].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            (8, Gen.OneOf<string>("16", "32", "64", "65", "100", "128")),
            (4, Gen.OneOf<string>("0", "-1", "-5", "int.MinValue", "-0", "int.MaxValue", "2147483647", "1 << 20", "65536", "46341", "100000", "1 << 30")),
            (2, Gen.OneOf<string>("(int)3L", "1 + 2", "0x10", "1_0", "sizeof(int)", "Const", "(int)Cell.Lstm", "'a'")),
            (2, Gen.OneOf<string>("NotConst", "\"3\"", "3.5", "default", "null", "3L", "true", "Cell.Gru", "(short)4", "checked(int.MaxValue + 1)")));

        private static readonly Gen<string> CellValue = Gen.Frequency(
            (12, Gen.OneOf<string>("Cell.Rnn", "Cell.Gru", "Cell.Lstm")),
            (4, Gen.OneOf<string>(
                "Fixed.Cell.Lstm", "(Cell)3", "(Cell)(-1)", "(Cell)int.MaxValue", "(Cell)1", "default", "0", "1",
                "Nonlinearity.Relu", "CellField", "(Cell)Const", "null")));

        private static readonly Gen<string> NonlinearityValue = Gen.Frequency(
            (12, Gen.OneOf<string>("Nonlinearity.Tanh", "Nonlinearity.Relu")),
            (3, Gen.OneOf<string>("(Nonlinearity)2", "(Nonlinearity)(-1)", "(Nonlinearity)int.MinValue", "default", "0", "Cell.Rnn", "1")));

        private static readonly Gen<string> BoolValue = Gen.Frequency(
            (12, Gen.OneOf<string>("true", "false")),
            (2, Gen.OneOf<string>("default", "1", "!true", "BoolField", "null")));

        private static readonly Gen<string> WeightsValue = Gen.OneOf<string>(
            "null", "\"missing.safetensors\"", "\"\"", "NotConstText", "\"a.safetensors\" + \"b\"", "nameof(Const)", "3", "\"../x.safetensors\"");

        private static readonly Gen<(string, string)> Named = Gen.Frequency(
            (4, NamedInt("NumLayers")),
            (4, CellValue.Select(v => ("Cell", v))),
            (3, NonlinearityValue.Select(v => ("Nonlinearity", v))),
            (3, BoolValue.Select(v => ("Bias", v))),
            (4, NamedInt("OutputSize")),
            (3, NamedInt("Window")),
            (1, WeightsValue.Select(v => ("Weights", v))),
            (1, Gen.OneOf(Gen.Const(("InputSize", "3")), Gen.Const(("Bogus", "1")), Gen.Const(("HiddenSize", "2")))));

        /// <summary>The arguments inside the attribute's parentheses.</summary>
        private static readonly Gen<string> Arguments = Gen.Select(Size, Size, Gen.Int[0, 9], Named.Array[0, 5], Gen.Int[0, 2]).Select(
            (input, hidden, form, named, repeat) =>
            {
                var parts = new List<string>(form switch
                {
                    <= 5 => [input, hidden],
                    6 => ["inputSize: " + input, "hiddenSize: " + hidden],
                    7 => ["hiddenSize: " + hidden, "inputSize: " + input],
                    8 => [input],
                    _ => [input, hidden, "3"],
                });
                parts.AddRange(named.Select(n => n.Item1 + " = " + n.Item2));
                if (repeat == 0 && named.Length > 0)
                {
                    parts.Add(named[0].Item1 + " = " + named[0].Item2);
                }

                return string.Join(", ", parts);
            });

        private static readonly Gen<string> AttributeName = Gen.Frequency(
            (30, Gen.Const("Recurrent")),
            (1, Gen.OneOf<string>("RecurrentAttribute", "Fixed.Recurrent", "global::Fixed.RecurrentAttribute", "R")));

        private static readonly Gen<string> LayerName = Gen.OneOf<string>(
            "", "", ", Name = \"a\"", ", Name = \"b\"", ", Name = \"a\"", ", Name = \"\"", ", Name = null", ", Name = \"enc.rnn\"", ", Name = \"a b\"", ", Name = \".a\"");

        /// <summary>One layer of a layer stack: a Recurrent (named or not), a Linear, or an activation, well formed or not.</summary>
        private static readonly Gen<string> Layer = Gen.Frequency(
            (6, Gen.Select(Arguments, LayerName).Select((arguments, name) => "[Recurrent(" + arguments + name + ")]")),
            (6, Gen.Select(Size, Size, BoolValue, LayerName).Select((input, output, bias, name) => "[Linear(" + input + ", " + output + ", Bias = " + bias + name + ")]")),
            (4, Gen.OneOf<string>("[Relu]", "[Gelu]", "[Tanh]", "[Sigmoid]", "[Softmax]", "[LeakyRelu]", "[Elu]")),
            (2, Gen.OneOf<string>(
                "[LeakyRelu(NegativeSlope = 0.2f)]", "[LeakyRelu(NegativeSlope = float.NaN)]", "[Elu(Alpha = float.PositiveInfinity)]",
                "[Elu(Alpha = -1f)]", "[Relu(1)]", "[Linear(3)]", "[Linear]", "[Linear(2, 3), Relu]", "[return: Linear(2, 3)]")));

        /// <summary>A layer stack of one to five layers, in one attribute list or several.</summary>
        private static readonly Gen<string> Stack = Layer.Array[1, 5].Select(layers => string.Concat(layers));

        private static readonly Gen<string> Attribute = Gen.Select(AttributeName, Arguments, Gen.Int[0, 39], Stack).Select((name, arguments, odd, stack) => odd switch
        {
            >= 30 => stack,
            0 => $"[{name}({arguments})][{name}({arguments})]",
            1 => $"[{name}]",
            2 => $"[{name}()]",
            3 => $"[System.Obsolete, {name}({arguments})]",
            4 => $"[return: {name}({arguments})]",
            _ => $"[{name}({arguments})]",
        });

        private static readonly Gen<string> Modifiers = Gen.Frequency(
            (30, Gen.OneOf<string>("public partial", "partial", "internal sealed partial", "public sealed partial")),
            (4, Gen.OneOf<string>("", "public", "static partial", "abstract partial", "file partial", "unsafe partial", "new partial", "private partial", "protected partial", "readonly partial", "ref partial", "public static")));

        private static readonly Gen<string> Kind = Gen.Frequency(
            (30, Gen.Const("class")),
            (2, Gen.OneOf<string>("struct", "record", "record struct", "record class", "interface", "enum", "delegate void")));

        private static readonly Gen<string> Name = Gen.Frequency(
            (12, Gen.Int[0, 99].Select(i => "Model" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            (2, Gen.OneOf<string>("@class", "Модель", "State", "Step", "Parameters", "Layout", "Fixed", "System", "Cell", "RecurrentAttribute", "Outer", "Model0", "_", "T")));

        private static readonly Gen<string> TypeParameters = Gen.Frequency((10, Gen.Const("")), (1, Gen.OneOf<string>("<T>", "<T, U>", "<T> where T : struct")));

        private static readonly Gen<string> Body = Gen.Frequency(
            (30, Gen.OneOf<string>(";", "{ }", "{}")),
            (3, Gen.OneOf<string>(
                "{ public int Extra => 1; }",
                "{ public void Step() { } }",
                "{ public int Step; }",
                "{ public NAME() { } }",
                "{ public NAME(int seed) { } }",
                "{ public NAME(string name) { } }",
                "{ public struct State { } }",
                "{ public const int InputSize = 3; }",
                "(int x);",
                " : System.Object;",
                " : System.Exception;",
                " : System.IDisposable;",
                " : Base;",
                " : UndefinedBase;",
                " : Model0;",
                " { partial void Hook(); }",
                "{ static NAME() { } }",
                "{ ~NAME() { } }",
                "{ public class Inner { } }",
                "{",
                "")));

        private static readonly Gen<string> TypeDeclaration = Gen.Select(Attribute, Modifiers, Kind, Name, TypeParameters, Body).Select(
            (attribute, modifiers, kind, name, typeParameters, body) =>
            {
                string declaration = $"{attribute}\n{modifiers} {kind} {name}{typeParameters}{body.Replace("NAME", name.TrimStart('@'), StringComparison.Ordinal)}".Replace("\n ", "\n", StringComparison.Ordinal);
                return kind == "delegate void" ? declaration.TrimEnd(';', '{', '}', ' ') + "();" : declaration;
            });

        /// <summary>What the declaration is nested in: nothing, or one or two enclosing types.</summary>
        private static readonly Gen<string> Outer = Gen.Frequency(
            (12, Gen.Const("")),
            (4, Gen.OneOf<string>("public partial class Outer", "partial class Outer", "partial struct Outer")),
            (3, Gen.OneOf<string>(
                "public partial class Outer", "partial class Outer", "class Outer", "partial struct Outer", "partial record Outer",
                "static partial class Outer", "partial class Outer<T>", "partial interface IOuter", "file partial class Outer",
                "partial record struct Outer", "public static partial class Outer")));

        private static readonly Gen<string> Namespace = Gen.Frequency(
            (4, Gen.Const("")),
            (3, Gen.Const("namespace Models;")),
            (3, Gen.Const("namespace Models.Inner {")),
            (1, Gen.OneOf<string>("namespace @namespace;", "namespace Fixed;", "namespace System.Models;", "namespace Models { namespace Deeper {")));

        private static readonly Gen<string> Member = Gen.Select(Outer, Outer, TypeDeclaration).Select((outer, second, declaration) =>
        {
            if (outer.Length == 0)
            {
                return declaration;
            }

            return second.Length == 0 || second == outer
                ? $"{outer}\n{{\n{declaration}\n}}"
                : $"{outer}\n{{\n{second.Replace("Outer", "Middle", StringComparison.Ordinal)}\n{{\n{declaration}\n}}\n}}";
        });

        private static readonly Gen<string> Usings = Gen.Frequency(
            (10, Gen.Const("using Fixed;")),
            (1, Gen.OneOf<string>("", "using R = Fixed.RecurrentAttribute;\nusing Fixed;", "global using Fixed;", "using static Fixed.Cell;\nusing Fixed;", "#nullable disable\nusing Fixed;")));

        /// <summary>One compilation unit: usings, a namespace, helpers the odd arguments refer to, and one to four declarations.</summary>
        public static readonly Gen<string> Source = Gen.Select(Usings, Namespace, Member.Array[1, 4]).Select((usings, ns, members) =>
        {
            var text = new StringBuilder();
            text.AppendLine(usings);
            text.AppendLine(ns);
            text.AppendLine("static class Helpers { }");
            text.AppendLine("public class Base { public Base() { } }");
            text.AppendLine("public static class Values { }");
            text.AppendLine("public partial class Holder { public const int Const = 4; public static int NotConst = 4; public static string NotConstText = \"x\"; public static Cell CellField; public static bool BoolField; }");
            foreach (string member in members)
            {
                text.AppendLine(member.Replace("Const", "Holder.Const", StringComparison.Ordinal)
                    .Replace("NotHolder.Const", "Holder.NotConst", StringComparison.Ordinal)
                    .Replace("CellField", "Holder.CellField", StringComparison.Ordinal)
                    .Replace("BoolField", "Holder.BoolField", StringComparison.Ordinal));
            }

            int open = CountOf(ns, '{');
            text.Append(new string('}', open));
            return text.ToString();
        });

        private static int CountOf(string text, char c) => text.Count(x => x == c);

        private static Gen<(string, string)> NamedInt(string name) => Size.Select(v => (name, v));
    }
}
