using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Fixed.Engine;
using Xunit;

namespace Fixed.Tests.Kernels;

/// <summary>
/// Inference's entry points and the kernels a fully optimized step calls out of line (the one-attribute engine, the
/// sequence engine of ProjSize and Bidirectional models, a stack's layer kernels and its generated code) are compiled
/// optimized at their first call (<see cref="CompiledAtOnce"/>): under the default tiering they ran tier-0 code, ~10× slower, for the first
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
        { typeof(CellUpdate), "GruStreams256", true },
        { typeof(CellUpdate), "LstmStreams256", true },
        { typeof(StreamMath), "Block", true },
        { typeof(PackedMath), "Wide", true },
        { typeof(ReducedMath), "Wide", true },
        { typeof(SequenceEngine<>), "Step", false },
        { typeof(SequenceEngine<>), "Forward", false },
        { typeof(SequenceEngine<>), "WarmUp", false },
        { typeof(SequenceEngine<>), "StepStreams", false },
        { typeof(SequenceEngine<>), "Advance", false },
        { typeof(SequenceEngine<>), "Head", false },
        { typeof(SequenceEngine<>), "RunDirection", false },
        { typeof(SequenceEngine<>), "CellStep", false },
        { typeof(SequenceEngine<>), "Activate", false },
        { typeof(LayerKernels), "LinearSequence", false },
        { typeof(LayerKernels), "AddInput", false },
        { typeof(LayerKernels), "Relu", false },
        { typeof(LayerKernels), "LeakyRelu", false },
        { typeof(LayerKernels), "Elu", false },
        { typeof(LayerKernels), "Gelu", false },
        { typeof(LayerKernels), "Tanh", false },
        { typeof(LayerKernels), "Sigmoid", false },
        { typeof(LayerKernels), "Softmax", false },
        { typeof(LayerKernels), "Erf", false },
    };

    /// <summary>
    /// Training's entry points and the kernels an optimized iteration (Backward of one sequence or of a batch,
    /// ClipGradNorm, an Adam step) calls out of line: pinned to one CPU, GRU 1→32's iteration ran tier-0 code for ~2.2 s
    /// (~6,000 iterations over twice the steady time) before they were marked (<c>startup --networks train32,batch32</c>).
    /// </summary>
    public static TheoryData<Type, string, bool> TrainingMethods => new()
    {
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "Backward", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "Sequence", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "HeadsAndLosses", true },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "RecordStraightRnn", true },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "RecordStraightGates", true },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "Sweep", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "SweepOneLayer", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "SweepOneLayer<TVec>", true },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "AccumulateWeights", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "Group", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "CellStepRecord", true },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "StepBackGroup", true },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "SweepGroupUnits", true },
        { typeof(SequenceEngine<>), "Backward", false },
        { typeof(SequenceEngine<>), "Sequence", false },
        { typeof(SequenceEngine<>), "Sweep", false },
        { typeof(SequenceEngine<>), "SweepDirection", false },
        { typeof(SequenceEngine<>), "CellBack", false },
        { typeof(SequenceEngine<>), "CellGradients", false },
        { typeof(StreamGradient), "Columns", true },
        { typeof(CellUpdate), "GruRecordStreams256", true },
        { typeof(CellUpdate), "LstmRecordStreams256", true },
        { typeof(StreamGradient), "TransposedAdd", false },
        { typeof(StreamGradient), "Pair", false },
        { typeof(StreamGradient), "Block", false },
        { typeof(GradientClipping), "Scale", false },
        { typeof(GateSums), "BiasSteps", false },
        { typeof(GateSums), "Run", false },
        { typeof(GateSums), "Rows", false },
        { typeof(VectorMath), "OuterAddSteps", false },
        { typeof(VectorMath), "OuterAddStepsWithSums", false },
        { typeof(VectorMath), "OuterSteps", false },
        { typeof(VectorMath), "AddSteps", false },
        { typeof(VectorMath), "TransposedAdd", false },
        { typeof(GradientClipping), "ClipNorm", false },
        { typeof(GradientClipping), "Norm", false },
        { typeof(GradientClipping), "SumOfSquares", false },
        { typeof(Optimizer), "Step", false },
        { typeof(AdamCore), "Update", false },
        { typeof(ParameterStore<>), "Repack", true },
        { typeof(PackedLayout<>), "Pack", false },
        { typeof(PackedLayout<>), "PackMatrix", false },
        // A layer stack's training: the recurrent layers' sweeps, the other layers' backward kernels, the loss.
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "StepBack", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "CellBackward", false },
        { typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>), "RecordHead", false },
        { typeof(VectorMath), "OuterAndTransposedAdd", false },
        { typeof(TrainingSupport), "ApplyLoss", false },
        { typeof(LayerKernels), "LinearBackward", false },
        { typeof(LayerKernels), "ReluBackward", false },
        { typeof(LayerKernels), "LeakyReluBackward", false },
        { typeof(LayerKernels), "EluBackward", false },
        { typeof(LayerKernels), "GeluBackward", false },
        { typeof(LayerKernels), "TanhBackward", false },
        { typeof(LayerKernels), "SigmoidBackward", false },
        { typeof(LayerKernels), "SoftmaxBackward", false },
    };

    [Theory]
    [MemberData(nameof(TrainingMethods))]
    public void TrainingMethod_IsOptimizedAtItsFirstCall(Type type, string name, bool neverInlined) =>
        InferenceMethod_IsOptimizedAtItsFirstCall(type, name, neverInlined);

    [Theory]
    [MemberData(nameof(Methods))]
    public void InferenceMethod_IsOptimizedAtItsFirstCall(Type type, string name, bool neverInlined)
    {
        MethodInfo[] overloads = type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
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

    [Theory]
    [InlineData("Step")]
    [InlineData("Forward")]
    [InlineData("WarmUp")]
    [InlineData("Advance")]
    public void GeneratedStackInference_IsOptimizedAtItsFirstCall(string name)
    {
        // The generator writes the attribute on a layer stack's inference methods (Generator/Emitter.Stack.cs).
        Type network = typeof(Fixed.Tests.Stacks.Stack).GetNestedType("FixedNetwork", BindingFlags.NonPublic)!;
        InferenceMethod_IsOptimizedAtItsFirstCall(network, name, neverInlined: false);
    }

    [Theory]
    [InlineData("Backward")]
    [InlineData("Evaluate")]
    [InlineData("Sequence")]
    [InlineData("EvaluateSequence")]
    public void GeneratedStackTraining_IsOptimizedAtItsFirstCall(string name)
    {
        Type network = typeof(Fixed.Tests.Stacks.Stack).GetNestedType("FixedNetwork", BindingFlags.NonPublic)!;
        InferenceMethod_IsOptimizedAtItsFirstCall(network, name, neverInlined: false);
    }

    [Fact]
    public void EngineStepOfOneStream_IsNeverInlined()
    {
        // The straight path needs the whole inlining budget of a method of its own (RecurrentEngine.Step's remarks).
        MethodInfo step = typeof(RecurrentEngine<StraightStepTests.Gru1To32Shape>).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(m => m.Name == "Step" && m.GetParameters().Length == 4);
        Assert.True(step.MethodImplementationFlags.HasFlag(MethodImplAttributes.NoInlining));
    }

    /// <summary>
    /// The lists above name the methods a step or an iteration was seen to compile out of line; which ones those are depends
    /// on the JIT's inlining budget, so on the instruction set (in 2026-12 <c>StreamGradient.Pair</c>, in none of the lists, was
    /// compiled on its own on an AVX2 core and ran tier-0 code through the first ~1.5 s of batched training). This reads the
    /// IL instead: every method with a loop, in every type declared under <c>Runtime/Kernels</c> and <c>Runtime/Training</c>,
    /// is compiled optimized at its first call, whether or not it is meant to be inlined, unless it is listed here as work
    /// done once per model or per call outside the loops that matter.
    /// </summary>
    [Fact]
    public void EveryLoopInTheKernels_IsOptimizedAtItsFirstCall()
    {
        var missing = new List<string>();
        foreach (Type type in KernelTypes())
        {
            foreach (MethodBase method in type.GetMethods(AllDeclared).Cast<MethodBase>().Concat(type.GetConstructors(AllDeclared)))
            {
                if (method.GetMethodBody() is not { } body || !HasBackwardBranch(body.GetILAsByteArray()!)
                    || method.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization)
                    || OnceOnly.Contains($"{type.Name}.{method.Name}"))
                {
                    continue;
                }

                missing.Add($"{type.FullName}.{method.Name}");
            }
        }

        Assert.True(missing.Count == 0, "methods with a loop compiled tier 0 first (mark them [MethodImpl(CompiledAtOnce.Optimized)] or, " +
            "for setup work, list them in OnceOnly):" + Environment.NewLine + string.Join(Environment.NewLine, missing.Distinct().Order(StringComparer.Ordinal)));
    }

    private const BindingFlags AllDeclared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    /// <summary>Loops that run once per model, per file or per call of a setup method, where tier-0 code costs nothing that matters.</summary>
    private static readonly HashSet<string> OnceOnly = new(StringComparer.Ordinal)
    {
        "Checkpoint.Contents",           // a checkpoint's tensors, when it is saved
        "Checkpoint.Restore",            // and when it is loaded
        "CrossEntropyOptions..ctor",     // the class weights' check, once per options object
        "PackedLayout`1.Walk",           // a Debug build's check that the packed copy is current
    };

    /// <summary>The runtime's types (nested ones too) whose declarations are in <c>Runtime/Kernels</c> or <c>Runtime/Training</c>.</summary>
    private static IEnumerable<Type> KernelTypes([CallerFilePath] string thisFile = "")
    {
        string runtime = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(thisFile)))!, "Runtime");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string dir in new[] { "Kernels", "Training" })
        {
            foreach (string file in Directory.GetFiles(Path.Combine(runtime, dir), "*.cs"))
            {
                foreach (Match m in Regex.Matches(File.ReadAllText(file), @"\b(?:class|struct|interface)\s+([A-Z][A-Za-z0-9_]*)"))
                {
                    names.Add(m.Groups[1].Value);
                }
            }
        }

        Assert.True(names.Count > 20, $"found only {names.Count} type declarations under {runtime}");
        return typeof(CompiledAtOnce).Assembly.GetTypes().Where(t => names.Contains(t.Name.Split('`')[0]) && !t.IsInterface);
    }

    /// <summary>Whether the IL branches back to an earlier instruction (a loop).</summary>
    private static bool HasBackwardBranch(byte[] il)
    {
        int at = 0;
        while (at < il.Length)
        {
            int start = at;
            OpCode op = il[at] == 0xFE ? TwoByte[il[at + 1]] : OneByte[il[at]];
            at += op.Size;
            switch (op.OperandType)
            {
                case OperandType.ShortInlineBrTarget:
                    if ((sbyte)il[at] + at + 1 <= start)
                    {
                        return true;
                    }

                    at += 1;
                    break;
                case OperandType.InlineBrTarget:
                    if (BitConverter.ToInt32(il, at) + at + 4 <= start)
                    {
                        return true;
                    }

                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                default:
                    at += 4;
                    break;
            }
        }

        return false;
    }

    private static readonly OpCode[] OneByte = OpCodesBy(size: 1);
    private static readonly OpCode[] TwoByte = OpCodesBy(size: 2);

    private static OpCode[] OpCodesBy(int size)
    {
        var table = new OpCode[256];
        foreach (FieldInfo field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)field.GetValue(null)!;
            if (op.Size == size)
            {
                table[(ushort)op.Value & 0xFF] = op;
            }
        }

        return table;
    }
}
