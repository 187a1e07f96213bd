using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Fixed.Generator.Model;
using Xunit;
using GeneratorArithmetic = global::Fixed.Generator.Shared.NetworkArithmetic;
using GeneratorCell = global::Fixed.Generator.Shared.Cell;

namespace Fixed.Tests.Generator;

/// <summary>
/// The generator's sizes (<see cref="NetworkSpec"/>, <see cref="LayerSpec"/>, its FIXED013 scratch estimate) equal the
/// runtime's <c>Shape&lt;TShape&gt;</c> and <c>PackedLayout&lt;TShape&gt;</c> for every generated model of this assembly (and
/// every recurrent layer of every generated stack), and for a grid of cells × input sizes × hidden sizes × layers × heads
/// × bias. Both sides compile one source, Runtime/Shared/NetworkArithmetic.cs; what this checks is how each side feeds it.
/// </summary>
public sealed class SharedSizesTests
{
    private static readonly int[] GridInputs = [1, 7];
    private static readonly int[] GridHidden = [1, 4, 5, 16, 33, 100];
    private static readonly int[] GridLayers = [1, 3];
    private static readonly int[] GridHeads = [0, 4];

    [Fact]
    public void GeneratedModels_TheirEmittedConstantsAndTheGeneratorsSpec_EqualTheRuntimesShape()
    {
        var models = typeof(SharedSizesTests).Assembly.GetTypes()
            .Select(t => (Model: t, Shape: t.GetNestedType("FixedShape", BindingFlags.NonPublic)))
            .Where(m => m.Shape is not null && typeof(INetworkShape).IsAssignableFrom(m.Shape))
            .ToList();
        Assert.True(models.Count >= 60, $"only {models.Count} generated single-network models found");

        foreach ((Type model, Type? shape) in models)
        {
            if (shape!.GetProperty("ProjSize") is not null || shape.GetProperty("Bidirectional") is not null)
            {
                AssertSequenceModelMatches(model, shape);
                continue;
            }

            RuntimeSizes runtime = RuntimeSizes.Of(shape!);
            // A learned initial state (h0, and c0 for the LSTM) follows the weights the engine reads: StateLength more floats.
            bool learned = model.GetCustomAttribute<RecurrentAttribute>()!.LearnInitialState;
            Assert.Equal(runtime.ParameterCount + (learned ? runtime.StateLength : 0), Constant(model, "ParameterCount"));
            Assert.Equal(runtime.StateLength, Constant(model, "StateLength"));
            AssertGeneratorMatches(runtime, model.FullName!);
        }
    }

    /// <summary>
    /// The engine takes its 512-bit straight step for a shape marked <see cref="IWideShape"/> wherever AVX-512 is accelerated,
    /// without looking at the hidden size: a wide mark on a narrow shape would read 16 lanes of an 8-lane layout. Every shape
    /// the generator emits, single networks and stack layers alike, carries exactly one mark, and the right one.
    /// </summary>
    [Fact]
    public void GeneratedShapes_CarryTheWidthMarkOfTheirHiddenSize()
    {
        var shapes = typeof(SharedSizesTests).Assembly.GetTypes()
            .Where(t => t.IsNested && t.IsValueType && typeof(INetworkShape).IsAssignableFrom(t)
                && (t.Name == "FixedShape" || t.DeclaringType is { Name: "FixedNetwork" }))
            .ToList();
        Assert.True(shapes.Count >= 65, $"only {shapes.Count} generated shapes found");
        int wide = 0;
        foreach (Type shape in shapes)
        {
            int hidden = (int)shape.GetProperty(nameof(INetworkShape.HiddenSize), BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            bool isWide = typeof(IWideShape).IsAssignableFrom(shape);
            bool isNarrow = typeof(INarrowShape).IsAssignableFrom(shape);
            Assert.True(isWide != isNarrow, $"{shape.FullName}: wide {isWide}, narrow {isNarrow}");
            Assert.True(isWide == hidden >= 16, $"{shape.FullName}: hidden size {hidden}, marked {(isWide ? "wide" : "narrow")}");
            wide += isWide ? 1 : 0;
        }

        Assert.InRange(wide, 1, shapes.Count - 1);
    }

    [Fact]
    public void GeneratedStacks_EachRecurrentLayersSpec_EqualsTheRuntimesShape()
    {
        var layerShapes = typeof(SharedSizesTests).Assembly.GetTypes()
            .Where(t => t.IsNested && t.IsValueType && typeof(INetworkShape).IsAssignableFrom(t) && t.DeclaringType is { Name: "FixedNetwork", DeclaringType: { } model } && model.GetCustomAttributes<RecurrentAttribute>().Any())
            .ToList();
        Assert.True(layerShapes.Count >= 5, $"only {layerShapes.Count} generated stack layers found");

        foreach (Type shape in layerShapes)
        {
            RuntimeSizes runtime = RuntimeSizes.Of(shape);
            Assert.Equal(0, runtime.Head);
            var layer = new LayerSpec(LayerKind.Recurrent, null, runtime.Input, runtime.Hidden, runtime.Layers, (GeneratorCell)runtime.Cell, false, runtime.Bias, runtime.Window, 0f);
            string where = shape.FullName!;
            Assert.True(runtime.ParameterCount == layer.ParameterCount, where);
            Assert.True(runtime.StateLength == layer.StateLength, where);
            Assert.True(runtime.TapeStride == layer.TapeStride, where);
            Assert.True(WorstCase(runtime) == layer.ScratchBytes, where);
        }
    }

    [Fact]
    public void Grid_CellsSizesLayersHeadsAndBias_TheGeneratorEqualsTheRuntime()
    {
        int checkedShapes = 0;
        for (int cell = 0; cell < 3; cell++)
        {
            foreach (int input in GridInputs)
            {
                foreach (int hidden in GridHidden)
                {
                    foreach (int layers in GridLayers)
                    {
                        foreach (int head in GridHeads)
                        {
                            foreach (bool bias in new[] { true, false })
                            {
                                Type shape = typeof(GridShape<,,,,,>).MakeGenericType(
                                    Number(cell), Number(input), Number(hidden), Number(layers), Number(head), Number(bias ? 1 : 0));
                                AssertGeneratorMatches(RuntimeSizes.Of(shape), shape.Name + $"<cell {cell}, {input}, {hidden}, L{layers}, head {head}, bias {bias}>");
                                checkedShapes++;
                            }
                        }
                    }
                }
            }
        }

        Assert.Equal(3 * 2 * 6 * 2 * 2 * 2, checkedShapes);
    }

    [Theory]
    [InlineData(Cell.Rnn, 10000, 40_064)]
    [InlineData(Cell.Gru, 100, 1_856)]
    [InlineData(Cell.Lstm, 5000, 100_224)]
    [InlineData(Cell.Lstm, 4096, 81_984)]
    public void ScratchEstimate_IsTheRuntimesScratchAtSixteenLanesPlusTheSlack(Cell cell, int hidden, long bytes)
    {
        var spec = new NetworkSpec(null, default, "M", 1, hidden, 1, (GeneratorCell)cell, false, true, 0, 1, null);

        Assert.Equal(bytes, spec.ScratchBytes);
    }

    /// <summary>A model with ProjSize or Bidirectional runs on SequenceEngine: its constants and the generator's spec equal that engine's sizes.</summary>
    private static void AssertSequenceModelMatches(Type model, Type shape)
    {
        Type engine = typeof(Fixed.Engine.SequenceEngine<>).MakeGenericType(shape);
        T Get<T>(Type type, string name) => (T)type.GetProperty(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        int projSize = shape.GetProperty("ProjSize") is null ? 0 : Get<int>(shape, "ProjSize");
        bool bidirectional = shape.GetProperty("Bidirectional") is not null && Get<bool>(shape, "Bidirectional");
        var spec = new NetworkSpec(null, default, "M", Get<int>(shape, "InputSize"), Get<int>(shape, "HiddenSize"), Get<int>(shape, "NumLayers"),
            (GeneratorCell)Get<Cell>(shape, "Cell"), Get<Nonlinearity>(shape, "Nonlinearity") == Nonlinearity.Relu, Get<bool>(shape, "Bias"),
            Get<int>(shape, "OutputSize"), Get<int>(shape, "Window"), null, ProjSize: projSize, Bidirectional: bidirectional);
        string where = model.FullName!;
        // A learned initial state (h0, and c0 for the LSTM) follows the weights the engine reads: StateLength more floats.
        int learned = model.GetCustomAttribute<RecurrentAttribute>()!.LearnInitialState ? Get<int>(engine, "StateLength") : 0;
        Assert.True(Get<int>(engine, "ParameterCount") + learned == Constant(model, "ParameterCount"), where);
        Assert.True(Get<int>(engine, "ParameterCount") == spec.WeightCount, where);
        Assert.True(Get<int>(engine, "StateLength") == Constant(model, "StateLength"), where);
        Assert.True(Get<int>(engine, "OutputSize") == Constant(model, "OutputSize"), where);
        Assert.True(Get<int>(engine, "ParameterCount") == spec.ParameterCount, where);
        Assert.True(Get<int>(engine, "StateLength") == spec.StateLength, where);
        Assert.True(Get<int>(engine, "OutputSize") == spec.EffectiveOutputSize, where);
        Assert.True(Get<int>(engine, "TapeLength") == spec.TapeStride * spec.Window, where);
    }

    private static void AssertGeneratorMatches(RuntimeSizes runtime, string where)
    {
        var spec = new NetworkSpec(null, default, "M", runtime.Input, runtime.Hidden, runtime.Layers, (GeneratorCell)runtime.Cell,
            runtime.Relu, runtime.Bias, runtime.Head, runtime.Window, null);
        var cell = (GeneratorCell)runtime.Cell;
        var failures = new List<string>();
        void Same(string what, long expected, long actual)
        {
            if (expected != actual)
            {
                failures.Add($"{what}: runtime {expected}, generator {actual}");
            }
        }

        Same("Gates", runtime.Gates, spec.Gates);
        Same("ParameterCount", runtime.ParameterCount, spec.ParameterCount);
        Same("StateLength", runtime.StateLength, spec.StateLength);
        Same("StatePerLayer", runtime.StatePerLayer, spec.StatePerLayer);
        Same("TapeStride", runtime.TapeStride, spec.TapeStride);
        Same("Outputs", runtime.Outputs, spec.EffectiveOutputSize);
        Same("WorkLength", runtime.WorkLength, GeneratorArithmetic.WorkLength(cell, spec.HiddenSize, spec.NumLayers, spec.OutputSize));
        Same("PackedLength", runtime.PackedLength, GeneratorArithmetic.PackedLength(cell, spec.InputSize, spec.HiddenSize, spec.NumLayers, runtime.Lanes));
        Same("ScratchLength", runtime.ScratchLength, GeneratorArithmetic.ScratchLength(cell, spec.HiddenSize, runtime.Lanes));
        Same("FIXED013 estimate", WorstCase(runtime), spec.ScratchBytes);
        if (runtime.Lanes == NetworkArithmetic.WidestLanes)
        {
            Same("scratch bytes at 16 lanes", (runtime.ScratchLength + CacheLineAlignment.SlackFloats) * sizeof(float), spec.ScratchBytes);
        }
        Assert.True(failures.Count == 0, where + ": " + string.Join("; ", failures));

        // The estimate is what this machine allocates at most: its vectors are never wider than 16 floats.
        Assert.True((runtime.ScratchLength + CacheLineAlignment.SlackFloats) * sizeof(float) <= spec.ScratchBytes, where);
    }

    /// <summary>
    /// The FIXED013 estimate written out: every accumulator vector the engine's step keeps (the RNN's one, the GRU's
    /// <c>[n_x | r | z | n_h]</c>, the LSTM's four gates and tanh(c')) of the hidden size padded to 16 lanes, plus the
    /// cache-line slack it is allocated with, in bytes.
    /// </summary>
    private static long WorstCase(RuntimeSizes runtime)
    {
        long padded = (runtime.Hidden + 15L) / 16 * 16;
        long vectors = runtime.Cell switch { Cell.Gru => 4, Cell.Lstm => 5, _ => 1 };
        return ((vectors * padded) + CacheLineAlignment.SlackFloats) * sizeof(float);
    }

    private static long Constant(Type model, string name) =>
        Convert.ToInt64(model.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture);

    private static Type Number(int value) => value switch
    {
        0 => typeof(N0),
        1 => typeof(N1),
        2 => typeof(N2),
        3 => typeof(N3),
        4 => typeof(N4),
        5 => typeof(N5),
        7 => typeof(N7),
        16 => typeof(N16),
        33 => typeof(N33),
        100 => typeof(N100),
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "no type-level number"),
    };

    /// <summary>What the runtime computes for <c>TShape</c>, read from its generic classes.</summary>
    private sealed record RuntimeSizes(
        int Input, int Hidden, int Layers, int Head, Cell Cell, bool Relu, bool Bias, int Window,
        int Gates, int ParameterCount, int StateLength, int StatePerLayer, int TapeStride, int Outputs, int WorkLength,
        int Lanes, int PackedLength, int ScratchLength)
    {
        public static RuntimeSizes Of(Type shape)
        {
            Type s = typeof(Shape<>).MakeGenericType(shape);
            Type p = typeof(PackedLayout<>).MakeGenericType(shape);
            T Get<T>(Type type, string name) => (T)type.GetProperty(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            return new RuntimeSizes(
                Get<int>(shape, nameof(INetworkShape.InputSize)), Get<int>(shape, nameof(INetworkShape.HiddenSize)), Get<int>(shape, nameof(INetworkShape.NumLayers)),
                Get<int>(shape, nameof(INetworkShape.OutputSize)), Get<Cell>(shape, nameof(INetworkShape.Cell)),
                Get<Nonlinearity>(shape, nameof(INetworkShape.Nonlinearity)) == Nonlinearity.Relu, Get<bool>(shape, nameof(INetworkShape.Bias)), Get<int>(shape, nameof(INetworkShape.Window)),
                Get<int>(s, "Gates"), Get<int>(s, "ParameterCount"), Get<int>(s, "StateLength"), Get<int>(s, "StatePerLayer"), Get<int>(s, "TapeStride"),
                Get<int>(s, "O"), Get<int>(s, "WorkLength"), Get<int>(p, "Lanes"), Get<int>(p, "Length"), Get<int>(p, "ScratchLength"));
        }
    }
}

/// <summary>A number as a type, so that a grid of shapes can be instantiated by reflection.</summary>
public interface ITypeNumber
{
    static abstract int Value { get; }
}

#pragma warning disable CA1815, SA1402 // type-level numbers: never instantiated
public readonly struct N0 : ITypeNumber { public static int Value => 0; }
public readonly struct N1 : ITypeNumber { public static int Value => 1; }
public readonly struct N2 : ITypeNumber { public static int Value => 2; }
public readonly struct N3 : ITypeNumber { public static int Value => 3; }
public readonly struct N4 : ITypeNumber { public static int Value => 4; }
public readonly struct N5 : ITypeNumber { public static int Value => 5; }
public readonly struct N7 : ITypeNumber { public static int Value => 7; }
public readonly struct N16 : ITypeNumber { public static int Value => 16; }
public readonly struct N33 : ITypeNumber { public static int Value => 33; }
public readonly struct N100 : ITypeNumber { public static int Value => 100; }
#pragma warning restore CA1815, SA1402

/// <summary>A shape whose every size is a type argument: cell (0 RNN, 1 GRU, 2 LSTM), inputs, hidden, layers, head, bias (0/1).</summary>
public readonly struct GridShape<TCell, TInput, THidden, TLayers, THead, TBias> : INetworkShape
    where TCell : struct, ITypeNumber
    where TInput : struct, ITypeNumber
    where THidden : struct, ITypeNumber
    where TLayers : struct, ITypeNumber
    where THead : struct, ITypeNumber
    where TBias : struct, ITypeNumber
{
    public static int InputSize => TInput.Value;

    public static int HiddenSize => THidden.Value;

    public static int NumLayers => TLayers.Value;

    public static int OutputSize => THead.Value;

    public static Cell Cell => (Cell)TCell.Value;

    public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

    public static bool Bias => TBias.Value != 0;

    public static int Window => 8;
}
