using System;
using System.Linq;
using System.Reflection;
using Fixed.Engine;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// Inference's entry points and the kernels a fully optimized step calls out of line are compiled optimized at their
/// first call (<see cref="CompiledAtOnce"/>): under the default tiering they ran tier-0 code, ~10× slower, for the first
/// ~0.2 s of a process and ~2 s when it was pinned to one CPU. The speed is measured by <c>Fixed.Benchmarks startup</c>;
/// this holds the attributes that give it, so that removing one (or adding an entry point without it) fails here.
/// </summary>
public sealed class CompiledAtOnceTests
{
    public static TheoryData<Type, string, bool> Methods => new()
    {
        // type, method name (every overload; "<TVec>": the generic ones only), never inlined
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "Step", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "Forward", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "WarmUp", true },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "GeneralStep", true },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "CellStep<TVec>", true },  // not its dispatcher, which is inlined
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "StepStreams", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "CellStepStreams", true },
        { typeof(StreamMath), "MultiplyAdd", false },
        { typeof(StreamMath), "Block", true },
        { typeof(PackedMath), "Wide", true },
        { typeof(ReducedMath), "Wide", true },
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void InferenceMethod_IsOptimizedAtItsFirstCall(Type type, string name, bool neverInlined)
    {
        MethodInfo[] overloads = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => name.EndsWith("<TVec>", StringComparison.Ordinal) ? m.IsGenericMethodDefinition && m.Name == name[..^"<TVec>".Length] : m.Name == name)
            .ToArray();
        Assert.NotEmpty(overloads);
        foreach (MethodInfo method in overloads)
        {
            MethodImplAttributes flags = method.MethodImplementationFlags;
            Assert.True(flags.HasFlag(MethodImplAttributes.AggressiveOptimization), $"{type.Name}.{method}: {flags}");
            if (neverInlined)
            {
                Assert.True(flags.HasFlag(MethodImplAttributes.NoInlining), $"{type.Name}.{method}: {flags}");
            }
        }
    }

    [Fact]
    public void EngineStepOfOneStream_IsNeverInlined()
    {
        // The straight path needs the whole inlining budget of a method of its own (RecurrentEngine.Step's remarks).
        MethodInfo step = typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == "Step" && m.GetParameters().Length == 4);
        Assert.True(step.MethodImplementationFlags.HasFlag(MethodImplAttributes.NoInlining));
    }
}
