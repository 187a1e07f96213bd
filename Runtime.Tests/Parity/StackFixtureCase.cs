using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Fixed.Tests.Parity;

/// <summary>What the stack parity tests do with one layer-stack fixture model, whatever its compile-time shape.</summary>
public interface IStackFixtureCase
{
    int InputSize { get; }

    int OutputSize { get; }

    int StateLength { get; }

    int ParameterCount { get; }

    int Window { get; }

    IReadOnlyList<ParameterInfo> Layout { get; }

    IReadOnlyList<ParameterInfo> StateLayout { get; }

    /// <summary>
    /// A state in the model's layout from the fixture's per-layer tensors: <c>{prefix}.{name}</c> [L, H] row k goes to
    /// the <see cref="StateLayout"/> entry <c>{name}.h_l{k}</c> (prefix <paramref name="hidden"/>, e.g. <c>h0</c>) or
    /// <c>{name}.c_l{k}</c> (prefix <paramref name="cell"/>, e.g. <c>c0</c>). Every float of the state is written once.
    /// </summary>
    float[] State(SafeTensorFile data, string hidden, string cell);

    /// <summary>Loads weights; returns the parameters.</summary>
    float[] Load(string weights);

    float[] Forward(string weights, float[] state, float[] inputs);

    float[] Steps(string weights, float[] state, float[] inputs);

    float[] WarmUpThenForward(string weights, float[] state, float[] inputs, int warmUp);

    /// <summary>Single-sequence Backward from <paramref name="state"/>; then <c>ClipGradNorm(maxNorm)</c> when <paramref name="maxNorm"/> is given.</summary>
    (float Loss, float ClipTotal, float[] Gradients) BackwardSingle(string weights, float[] state, float[] inputs, float[] targets,
        Loss loss, LossOn on, int warmUp, float? maxNorm = null);

    /// <summary>Batched Backward from the zero state; then <c>ClipGradNorm(maxNorm)</c> when <paramref name="maxNorm"/> is given.</summary>
    (float Loss, float ClipTotal, float[] Gradients) BackwardBatched(string weights, float[] inputs, float[] targets, int batch,
        Loss loss, LossOn on, int warmUp, SequenceLayout layout, float? maxNorm = null);

    /// <summary>Sets the gradients to <paramref name="gradients"/>, then <c>ClipGradNorm(maxNorm, 2)</c>.</summary>
    (float Total, float[] Gradients) ClipGradNorm(string weights, float[] gradients, float maxNorm);

    /// <summary>Sets the gradients to <paramref name="gradients"/>, then one <c>new Adam(model, lr).Step()</c>; returns the parameters.</summary>
    float[] AdamStep(string weights, float[] gradients, float lr);

    /// <summary>Loads <paramref name="weights"/>, saves to <paramref name="path"/>, loads that into a fresh model.</summary>
    (float[] Saved, float[] Reloaded) SaveThenLoad(string weights, string path);
}

/// <summary>Runs a stack fixture through the generated model <typeparamref name="T"/>, via its generic interface.</summary>
public sealed class StackFixtureCase<T> : IStackFixtureCase
    where T : IRecurrentModel<T>
{
    public int InputSize => T.InputSize;

    public int OutputSize => T.OutputSize;

    public int StateLength => T.StateLength;

    public int ParameterCount => T.ParameterCount;

    public int Window => T.Window;

    public IReadOnlyList<ParameterInfo> Layout => T.Layout.ToArray();

    public IReadOnlyList<ParameterInfo> StateLayout => T.StateLayout.ToArray();

    public float[] State(SafeTensorFile data, string hidden, string cell)
    {
        var state = new float[T.StateLength];
        var written = new bool[T.StateLength];
        foreach (ParameterInfo info in T.StateLayout)
        {
            (string layer, bool isCell, int k) = ParseStateName(info.Name);
            string tensor = (isCell ? cell : hidden) + "." + layer;
            if (!data.TryGetTensor(tensor, out SafeTensorEntry entry))
            {
                throw new InvalidDataException($"StateLayout entry '{info.Name}': the fixture has no tensor '{tensor}'.");
            }

            int size = info.Length;
            if (info.Shape.Count != 1 || entry.Shape.Count != 2 || entry.Shape[1] != size || k >= entry.Shape[0])
            {
                throw new InvalidDataException(
                    $"StateLayout entry '{info.Name}' shape [{string.Join(", ", info.Shape)}] does not fit '{tensor}' [{string.Join(", ", entry.Shape)}].");
            }

            float[] values = data.ReadFloats(tensor);
            for (int i = 0; i < size; i++)
            {
                if (written[info.Offset + i])
                {
                    throw new InvalidDataException($"StateLayout entry '{info.Name}' overlaps another at state[{info.Offset + i}].");
                }

                written[info.Offset + i] = true;
                state[info.Offset + i] = values[k * size + i];
            }
        }

        int missing = Array.IndexOf(written, false);
        if (missing >= 0)
        {
            throw new InvalidDataException($"No StateLayout entry covers state[{missing}] of {T.StateLength}.");
        }

        return state;
    }

    public float[] Load(string weights) => Loaded(weights).Parameters.ToArray();

    public float[] Forward(string weights, float[] state, float[] inputs)
    {
        var outputs = new float[inputs.Length / T.InputSize * T.OutputSize];
        Loaded(weights).Forward(state, inputs, outputs);
        return outputs;
    }

    public float[] Steps(string weights, float[] state, float[] inputs)
    {
        T model = Loaded(weights);
        int steps = inputs.Length / T.InputSize;
        var outputs = new float[steps * T.OutputSize];
        for (int t = 0; t < steps; t++)
        {
            model.Step(state, inputs.AsSpan(t * T.InputSize, T.InputSize), outputs.AsSpan(t * T.OutputSize, T.OutputSize));
        }

        return outputs;
    }

    public float[] WarmUpThenForward(string weights, float[] state, float[] inputs, int warmUp)
    {
        T model = Loaded(weights);
        model.WarmUp(state, inputs.AsSpan(0, warmUp * T.InputSize));
        ReadOnlySpan<float> rest = inputs.AsSpan(warmUp * T.InputSize);
        var outputs = new float[rest.Length / T.InputSize * T.OutputSize];
        model.Forward(state, rest, outputs);
        return outputs;
    }

    public (float Loss, float ClipTotal, float[] Gradients) BackwardSingle(string weights, float[] state, float[] inputs, float[] targets,
        Loss loss, LossOn on, int warmUp, float? maxNorm = null)
    {
        T model = Loaded(weights);
        float value = model.Backward(state, inputs, targets, loss, on, warmUp);
        float total = maxNorm is float max ? model.ClipGradNorm(max, 2f) : float.NaN;
        return (value, total, model.Gradients.ToArray());
    }

    public (float Loss, float ClipTotal, float[] Gradients) BackwardBatched(string weights, float[] inputs, float[] targets, int batch,
        Loss loss, LossOn on, int warmUp, SequenceLayout layout, float? maxNorm = null)
    {
        T model = Loaded(weights);
        float value = model.Backward(inputs, targets, batch, loss, on, warmUp, layout);
        float total = maxNorm is float max ? model.ClipGradNorm(max, 2f) : float.NaN;
        return (value, total, model.Gradients.ToArray());
    }

    public (float Total, float[] Gradients) ClipGradNorm(string weights, float[] gradients, float maxNorm)
    {
        T model = Loaded(weights);
        model.ZeroGrad();
        gradients.CopyTo(model.Gradients);
        float total = model.ClipGradNorm(maxNorm, 2f);
        return (total, model.Gradients.ToArray());
    }

    public float[] AdamStep(string weights, float[] gradients, float lr)
    {
        T model = Loaded(weights);
        model.ZeroGrad();
        gradients.CopyTo(model.Gradients);
        var adam = new Adam(model, lr);
        adam.Step();
        return model.ParameterValues.ToArray();
    }

    public (float[] Saved, float[] Reloaded) SaveThenLoad(string weights, string path)
    {
        T model = Loaded(weights);
        model.Save(path);
        T fresh = T.Create(seed: 2);
        fresh.Load(path);
        return (model.ParameterValues.ToArray(), fresh.ParameterValues.ToArray());
    }

    /// <summary>Splits <c>{layer}.h_l{k}</c> / <c>{layer}.c_l{k}</c>.</summary>
    private static (string Layer, bool IsCell, int K) ParseStateName(string name)
    {
        int dot = name.LastIndexOf('.');
        string suffix = dot > 0 ? name[(dot + 1)..] : string.Empty;
        if ((suffix.StartsWith("h_l", StringComparison.Ordinal) || suffix.StartsWith("c_l", StringComparison.Ordinal))
            && int.TryParse(suffix.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int k))
        {
            return (name[..dot], suffix[0] == 'c', k);
        }

        throw new InvalidDataException($"StateLayout name '{name}' is not '<layer>.h_l<k>' or '<layer>.c_l<k>'.");
    }

    private static T Loaded(string path)
    {
        T model = T.Create(seed: 1);
        model.Load(path);
        return model;
    }
}
