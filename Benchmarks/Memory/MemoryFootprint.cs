using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Memory;

/// <summary>One network's memory, in bytes, as the <c>memory</c> command measured it.</summary>
/// <param name="Network">Display name.</param>
/// <param name="Weights">Raw weight bytes: ParameterCount × 4.</param>
/// <param name="Instance">Allocated by <c>new Model(seed)</c> (GC.GetAllocatedBytesForCurrentThread).</param>
/// <param name="FirstStep">Allocated by the first Step.</param>
/// <param name="Gradients">Allocated by the first read of <c>Gradients</c> (0 if the constructor already allocated them).</param>
/// <param name="FirstBackward">Allocated by the first Backward (tape and work buffers).</param>
/// <param name="ParameterArrays">Of the arrays the model holds (found by reflection): the parameter arrays, with headers.</param>
/// <param name="GradientArrays">Of those: the gradient array.</param>
/// <param name="PackedArrays">Of those: the kernels' packed copies (with their 64-byte alignment slack).</param>
/// <param name="TrainingArrays">Of those: tape, work and the stack's training workspace.</param>
public sealed record MemoryResult(
    string Network, long Weights, long Instance, long FirstStep, long Gradients, long FirstBackward,
    long ParameterArrays, long GradientArrays, long PackedArrays, long TrainingArrays)
{
    /// <summary>Everything an inference-only model holds: the constructor's allocation plus the first Step's.</summary>
    public long Inference => Instance + FirstStep;

    /// <summary>Everything a trained model holds (without the optimizer's state): inference, gradients, tape.</summary>
    public long Training => Inference + Gradients + FirstBackward;

    /// <summary>What the arrays do not account for: the model, store, lock and workspace objects.</summary>
    public long Objects => Training - ParameterArrays - GradientArrays - PackedArrays - TrainingArrays;
}

/// <summary>
/// Bytes per model instance against the raw weight bytes. Totals come from <see cref="GC.GetAllocatedBytesForCurrentThread"/>
/// around each stage (construction, first Step, first read of Gradients, first Backward); the split into parameters,
/// gradients, packed copy and tape comes from the arrays reachable from the model, sized by reflection, so that the two
/// can be checked against each other (their difference is the handful of small objects).
/// </summary>
public static class MemoryFootprint
{
    /// <summary>Header of a float[] on 64-bit .NET (method table, length, padding).</summary>
    private const long ArrayHeader = 24;

    /// <summary>Measures every network of the table.</summary>
    public static IReadOnlyList<MemoryResult> MeasureAll() =>
    [
        Measure<Gru1To8>("GRU 1→8"),
        Measure<Gru1To32>("GRU 1→32"),
        Measure<Gru1To64>("GRU 1→64"),
        Measure<Lstm1To32>("LSTM 1→32"),
        Measure<Lstm1To64>("LSTM 1→64"),
        Measure<Gru2x1To32>("GRU 1→32 (2 layers)"),
        Measure<MemoryStack>("stack Linear→GRU 32→LSTM 16→MLP"),
    ];

    /// <summary>Measures one network (its second instance: the first one pays for static initialisation).</summary>
    public static MemoryResult Measure<T>(string name)
        where T : IRecurrentModel<T>
    {
        _ = Stages<T>(out _); // static constructors and the JIT's first compilations
        (long instance, long step, long gradients, long backward) = Stages<T>(out T model);
        return Split(name, model, instance, step, gradients, backward);
    }

    private static (long Instance, long Step, long Gradients, long Backward) Stages<T>(out T model)
        where T : IRecurrentModel<T>
    {
        float[] input = new float[T.InputSize];
        float[] output = new float[T.OutputSize];
        float[] state = new float[T.StateLength];
        float[] inputs = new float[T.Window * T.InputSize];
        float[] targets = new float[T.Window * T.OutputSize];

        long a = GC.GetAllocatedBytesForCurrentThread();
        model = T.Create(1);
        long b = GC.GetAllocatedBytesForCurrentThread();
        model.Step(state, input, output);
        long c = GC.GetAllocatedBytesForCurrentThread();
        _ = model.Gradients.Length;
        long d = GC.GetAllocatedBytesForCurrentThread();
        Array.Clear(state);
        model.Backward(state, inputs, targets);
        long e = GC.GetAllocatedBytesForCurrentThread();
        return (b - a, c - b, d - c, e - d);
    }

    private static MemoryResult Split<T>(string name, T model, long instance, long step, long gradients, long backward)
        where T : IRecurrentModel<T>
    {
        long parameters = 0, gradientArrays = 0, packed = 0, training = 0;
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Walk(model!, string.Empty, depth: 0);
        return new MemoryResult(name, (long)T.ParameterCount * sizeof(float), instance, step, gradients, backward,
            parameters, gradientArrays, packed, training);

        void Walk(object owner, string path, int depth)
        {
            if (depth > 4 || !seen.Add(owner))
            {
                return;
            }

            for (Type? type = owner.GetType(); type is not null && type != typeof(object); type = type.BaseType)
            {
                foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsValueType || field.GetValue(owner) is not { } value)
                    {
                        continue;
                    }

                    string fieldPath = path + "/" + field.Name;
                    if (value is float[] array)
                    {
                        if (!seen.Add(array))
                        {
                            continue;
                        }

                        long bytes = ArrayHeader + (long)array.Length * sizeof(float);
                        if (field.Name == "_packedBuffer")
                        {
                            packed += bytes;
                        }
                        else if (field.Name == "_gradients")
                        {
                            gradientArrays += bytes;
                        }
                        else if (field.Name is "_values" or "Array")
                        {
                            parameters += bytes;
                        }
                        else
                        {
                            training += bytes; // _tape, _work, the stack's Workspace arrays
                        }
                    }
                    else if (!value.GetType().IsArray && value is not string && value is not Type)
                    {
                        Walk(value, fieldPath, depth + 1);
                    }
                }
            }
        }
    }

    /// <summary>Writes <c>memory.csv</c>.</summary>
    public static void WriteCsv(string path, IReadOnlyList<MemoryResult> results)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("network,weights,instance,first_step,gradients,first_backward,parameter_arrays,gradient_arrays,packed_arrays,training_arrays,objects,inference_total,training_total");
        foreach (MemoryResult r in results)
        {
            writer.WriteLine(string.Join(',', new object[]
            {
                r.Network, r.Weights, r.Instance, r.FirstStep, r.Gradients, r.FirstBackward, r.ParameterArrays, r.GradientArrays,
                r.PackedArrays, r.TrainingArrays, r.Objects, r.Inference, r.Training,
            }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        }
    }
}
