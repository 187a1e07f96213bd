using System;
using System.Collections.Generic;

namespace Fixed.Tests.Parity;

/// <summary>What the parity tests do with one fixture model, whatever its compile-time shape.</summary>
public interface IFixtureCase
{
    int StateLength { get; }

    int NumLayers { get; }

    int HiddenSize { get; }

    int InputSize { get; }

    int OutputSize { get; }

    bool IsLstm { get; }

    IReadOnlyList<ParameterInfo> Layout { get; }

    /// <summary>Loads weights; returns the parameters.</summary>
    float[] Load(string path);

    float[] Forward(string weights, float[] state, float[] inputs);

    void LoadThenSave(string weights, string path);

    float[] Steps(string weights, float[] state, float[] inputs);

    float[] WarmUpThenForward(string weights, float[] state, float[] inputs, int warmUp);

    (float Loss, float[] Gradients) BackwardSingle(string weights, float[] state, float[] inputs, float[] targets, Loss loss, LossOn on, int warmUp);

    (float Loss, float[] Gradients) BackwardBatched(string weights, float[] inputs, float[] targets, int batch, Loss loss, LossOn on, int warmUp, SequenceLayout layout);
}

/// <summary>Runs a fixture through the generated model <typeparamref name="T"/>, via its generic interface.</summary>
public sealed class FixtureCase<T> : IFixtureCase
    where T : IRecurrentModel<T>
{
    public int StateLength => T.StateLength;

    public int NumLayers => T.NumLayers;

    public int HiddenSize => T.HiddenSize;

    public int InputSize => T.InputSize;

    public int OutputSize => T.OutputSize;

    public bool IsLstm => T.CellKind == Cell.Lstm;

    public IReadOnlyList<ParameterInfo> Layout => T.Layout.ToArray();

    public float[] Load(string path) => Loaded(path).Parameters.ToArray();

    public void LoadThenSave(string weights, string path) => Loaded(weights).Save(path);

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

    public (float Loss, float[] Gradients) BackwardSingle(string weights, float[] state, float[] inputs, float[] targets, Loss loss, LossOn on, int warmUp)
    {
        T model = Loaded(weights);
        float value = model.Backward(state, inputs, targets, loss, on, warmUp);
        return (value, model.Gradients.ToArray());
    }

    public (float Loss, float[] Gradients) BackwardBatched(string weights, float[] inputs, float[] targets, int batch, Loss loss, LossOn on, int warmUp, SequenceLayout layout)
    {
        T model = Loaded(weights);
        float value = model.Backward(inputs, targets, batch, loss, on, warmUp, layout);
        return (value, model.Gradients.ToArray());
    }

    private static T Loaded(string path)
    {
        T model = T.Create(seed: 1);
        model.Load(path);
        return model;
    }
}
