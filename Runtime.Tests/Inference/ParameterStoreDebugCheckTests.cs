using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Fixed.Generator;
using Fixed.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Fixed.Tests.Inference;

/// <summary>
/// A user's program, compiled here with the generator as the user's build would compile it, once with the DEBUG symbol
/// and once without, and run in a collectible load context.
/// </summary>
public sealed class ParameterStoreDebugCheckFixture : IDisposable
{
    public const string Source = """
        using System;
        using Fixed;

        namespace DebugProbe
        {
            [Recurrent(2, 17, Cell = Cell.Gru, NumLayers = 2, OutputSize = 1, Window = 4)]
            public partial class Model;

            public static class Program
            {
                private static readonly float[] Input = { 0.5f, -0.25f };
                private static readonly float[] Target = { 0.3f };

                // The pattern the documentation warns about: a span kept across an inference call and written after it.
                public static float[] HeldSpan(string member)
                {
                    var model = new Model(1);
                    var state = default(Model.State);
                    var output = new float[Model.OutputSize];
                    Span<float> p = model.Parameters;
                    model.Step(ref state, Input, output);
                    p[0] += 1f;
                    return Call(model, member, ref state);
                }

                // The documented pattern: Parameters read again after the call.
                public static float[] ReadAgain(string member)
                {
                    var model = new Model(1);
                    var state = default(Model.State);
                    var output = new float[Model.OutputSize];
                    model.Step(ref state, Input, output);
                    model.Parameters[0] += 1f;
                    return Call(model, member, ref state);
                }

                // A span held for many calls and written late: returns how many calls it took to be caught (0: never, within the limit).
                public static float[] HeldSpanWrittenLate(string member)
                {
                    var model = new Model(1);
                    var state = default(Model.State);
                    var output = new float[Model.OutputSize];
                    Span<float> p = model.Parameters;
                    for (int i = 0; i < 5; i++)
                    {
                        model.Step(ref state, Input, output);
                    }

                    p[Model.ParameterCount - 1] += 1f;
                    for (int call = 1; call <= 2 * Model.ParameterCount; call++)
                    {
                        try
                        {
                            Call(model, member, ref state);
                        }
                        catch (InvalidOperationException)
                        {
                            return new float[] { call };
                        }
                    }

                    return new float[] { 0 };
                }

                // Streaming with training between: many checked calls, every write through a fresh span. Must never throw.
                public static float[] TrainWhileStreaming(string member)
                {
                    var model = new Model(1);
                    var sgd = new Sgd(model, lr: 0.01f);
                    var state = default(Model.State);
                    for (int i = 0; i < 300; i++)
                    {
                        Call(model, member, ref state);
                        if (i % 10 == 0)
                        {
                            model.Backward(Input, Target, 1);
                            sgd.Step();
                            model.ZeroGrad();
                        }
                    }

                    return Call(model, member, ref state);
                }

                // No write at all.
                public static float[] Untouched(string member)
                {
                    var model = new Model(1);
                    var state = default(Model.State);
                    var output = new float[Model.OutputSize];
                    model.Step(ref state, Input, output);
                    return Call(model, member, ref state);
                }

                private static float[] Call(Model model, string member, ref Model.State state)
                {
                    var output = new float[Model.OutputSize];
                    switch (member)
                    {
                        case "Step": model.Step(ref state, Input, output); break;
                        case "StepSpan": model.Step(state.Values, Input, output); break;
                        case "Forward": model.Forward(ref state, Input, output); break;
                        case "WarmUp": model.WarmUp(ref state, Input); break;
                        case "Backward": output[0] = model.Backward(ref state, Input, Target); break;
                        case "BackwardBatch": output[0] = model.Backward(Input, Target, 1); break;
                        default: throw new ArgumentOutOfRangeException(nameof(member), member, null);
                    }

                    float[] result = new float[output.Length + state.Values.Length];
                    output.CopyTo(result, 0);
                    state.Values.CopyTo(result.AsSpan(output.Length));
                    return result;
                }
            }
        }
        """;

    private readonly AssemblyLoadContext _context = new("ParameterStoreDebugCheck", isCollectible: true);

    public ParameterStoreDebugCheckFixture()
    {
        Debug = Build(debug: true);
        Release = Build(debug: false);
    }

    /// <summary>Built as a user's Debug configuration builds: DEBUG defined, no optimisation.</summary>
    public Type Debug { get; }

    /// <summary>Built as a user's Release configuration builds: no DEBUG, optimised.</summary>
    public Type Release { get; }

    public void Dispose() => _context.Unload();

    private Type Build(bool debug)
    {
        CSharpParseOptions parse = GeneratorHarness.ParseOptions.WithPreprocessorSymbols(debug ? new[] { "DEBUG", "TRACE" } : new[] { "TRACE" });
        CSharpCompilation compilation = CSharpCompilation.Create(
            debug ? "DebugProbe.Debug" : "DebugProbe.Release",
            [CSharpSyntaxTree.ParseText(Source, parse, GeneratorHarness.SourcePath)],
            [.. Basic.Reference.Assemblies.Net100.References.All, MetadataReference.CreateFromFile(typeof(ParameterStore<>).Assembly.Location)],
            GeneratorHarness.DefaultOptions.WithOptimizationLevel(debug ? OptimizationLevel.Debug : OptimizationLevel.Release));

        // The generated trees are parsed with the driver's options: the DEBUG symbol must be there too.
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new RecurrentGenerator().AsSourceGenerator()], parseOptions: parse);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.All(output.SyntaxTrees, tree => Assert.Equal(debug, ((CSharpParseOptions)tree.Options).PreprocessorSymbolNames.Contains("DEBUG")));

        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, GeneratorHarness.Describe(emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        image.Position = 0;
        return _context.LoadFromStream(image).GetType("DebugProbe.Program", throwOnError: true)!;
    }
}

/// <summary>
/// The check generated under <c>#if DEBUG</c> around every member that reads the weights: in the user's Debug build a
/// write through a span held across an inference call is an InvalidOperationException at the next call, and the documented
/// pattern is not; in a Release build the same held-span write goes unnoticed, as documented.
/// </summary>
public sealed class ParameterStoreDebugCheckTests(ParameterStoreDebugCheckFixture probe) : IClassFixture<ParameterStoreDebugCheckFixture>
{
    public static TheoryData<string> Members => new("Step", "StepSpan", "Forward", "WarmUp", "Backward", "BackwardBatch");

    [Theory]
    [MemberData(nameof(Members))]
    public void DebugBuild_WriteThroughSpanHeldAcrossACall_ThrowsAtTheNextCall(string member)
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Run(probe.Debug, "HeldSpan", member));

        Assert.Contains("Read model.Parameters again after each inference call", error.Message);
    }

    /// <summary>
    /// The check costs O(1) per call (one slice of the weights), so a write through a span held over many calls is caught
    /// within one turn of slices: ceil(ParameterCount / DebugCheckSlice) calls (12 for this model's 2,925 weights).
    /// </summary>
    [Theory]
    [MemberData(nameof(Members))]
    public void DebugBuild_WriteThroughSpanHeldOverManyCalls_ThrowsWithinOneTurnOfSlices(string member)
    {
        int parameterCount = (int)probe.Debug.Assembly.GetType("DebugProbe.Model", throwOnError: true)!.GetField("ParameterCount")!.GetRawConstantValue()!;
        int turn = (int)Math.Ceiling(parameterCount / (double)ParameterStore<StoreTestGruShape>.DebugCheckSlice);

        float calls = Run(probe.Debug, "HeldSpanWrittenLate", member)[0];

        Assert.InRange(calls, 1, turn);
    }

    [Theory]
    [MemberData(nameof(Members))]
    public void DebugBuild_StreamingWithOptimizerStepsBetween_NeverThrows(string member)
    {
        float[] result = Run(probe.Debug, "TrainWhileStreaming", member);

        Assert.All(result, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [MemberData(nameof(Members))]
    public void DebugBuild_ParametersReadAgainAfterTheCall_DoesNotThrowAndIsSeen(string member)
    {
        float[] written = Run(probe.Debug, "ReadAgain", member);
        float[] untouched = Run(probe.Debug, "Untouched", member);

        Assert.NotEqual(untouched, written);
    }

    /// <summary>
    /// Not a safety property: the documented limit of Release builds. The held-span write neither throws nor reaches the
    /// kernels, whose packed copy still holds the old weight: the result is exactly that of the untouched model.
    /// </summary>
    [Theory]
    [InlineData("Step")]
    [InlineData("Forward")]
    [InlineData("WarmUp")]
    public void ReleaseBuild_WriteThroughSpanHeldAcrossACall_IsNotDetectedAndNotSeen(string member)
    {
        float[] held = Run(probe.Release, "HeldSpan", member);
        float[] untouched = Run(probe.Release, "Untouched", member);
        float[] readAgain = Run(probe.Release, "ReadAgain", member);

        Assert.Equal(untouched, held);
        Assert.NotEqual(readAgain, held);
    }

    private static float[] Run(Type program, string scenario, string member) =>
        (float[])program.GetMethod(scenario, BindingFlags.Public | BindingFlags.Static)!
            .Invoke(null, BindingFlags.DoNotWrapExceptions, binder: null, [member], culture: null)!;
}
