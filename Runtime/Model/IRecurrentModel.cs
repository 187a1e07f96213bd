using System;
using System.IO;

namespace Fixed;

/// <summary>Anything with a flat parameter vector and a gradient of the same length and layout.</summary>
public interface IParameters
{
    /// <summary>All weights and biases, flat, in PyTorch state_dict order and layout. The source of truth.</summary>
    Span<float> Parameters { get; }

    /// <summary>The accumulated gradient of every entry of <see cref="Parameters"/>, same layout.</summary>
    Span<float> Gradients { get; }

    /// <summary>
    /// <see cref="Parameters"/> for reading only. Generated models keep a packed copy of the weights for their kernels,
    /// and every access to <see cref="Parameters"/> marks it stale (the next call repacks, and a Debug build treats the
    /// access as a write); reading through this property does neither.
    /// </summary>
    ReadOnlySpan<float> ParameterValues => Parameters;
}

/// <summary>
/// The surface every generated model implements, so that optimizers, benchmarks and tools can be written
/// once, generically, over every network shape.
/// </summary>
/// <typeparam name="TSelf">The generated model type.</typeparam>
public interface IRecurrentModel<TSelf> : IParameters
    where TSelf : IRecurrentModel<TSelf>
{
    /// <summary>Features per time step.</summary>
    static abstract int InputSize { get; }

    /// <summary>Hidden units per layer.</summary>
    static abstract int HiddenSize { get; }

    /// <summary>Stacked recurrent layers.</summary>
    static abstract int NumLayers { get; }

    /// <summary>Outputs per step: the head's size, or the hidden size when there is no head.</summary>
    static abstract int OutputSize { get; }

    /// <summary>Length of <see cref="IParameters.Parameters"/>.</summary>
    static abstract int ParameterCount { get; }

    /// <summary>The longest sequence one <c>Backward</c> call accepts.</summary>
    static abstract int Window { get; }

    /// <summary>The recurrent cell.</summary>
    static abstract Cell CellKind { get; }

    /// <summary>Floats in one <c>State</c> (hidden, and cell for LSTM, of every layer).</summary>
    static abstract int StateLength { get; }

    /// <summary>Each tensor's state_dict name, offset and shape.</summary>
    static abstract ReadOnlySpan<ParameterInfo> Layout { get; }

    /// <summary>
    /// Where each recurrent layer's state sits in the flat state (<see cref="StateLength"/> floats): one entry per layer,
    /// <c>{name}.h_l{k}</c> with shape <c>[H]</c>, and <c>{name}.c_l{k}</c> for an LSTM, in stack order (for a layer stack,
    /// the recurrent layers in source order, each of a <c>Recurrent</c>'s <c>NumLayers</c> in turn). Empty when the model
    /// has no recurrent layer.
    /// </summary>
    static virtual ReadOnlySpan<ParameterInfo> StateLayout => SingleLayerStateLayout<TSelf>.Entries;

    /// <summary>Creates a model with PyTorch's default initialisation from <paramref name="seed"/>.</summary>
    static abstract TSelf Create(int seed);

    /// <summary>Advances <paramref name="state"/> (<see cref="StateLength"/> floats) by one step.</summary>
    void Step(Span<float> state, ReadOnlySpan<float> input, Span<float> output);

    /// <summary>Runs <c>T</c> steps: <c>[T, InputSize] -> [T, OutputSize]</c>.</summary>
    void Forward(Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs);

    /// <summary>Advances the state over <c>[T, InputSize]</c> without outputs or gradients.</summary>
    void WarmUp(Span<float> state, ReadOnlySpan<float> inputs);

    /// <summary>Single-sequence truncated BPTT; see the generated overload taking <c>ref State</c>.</summary>
    float Backward(Span<float> state, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        Loss loss = Loss.Mse, LossOn on = LossOn.AllSteps, int warmUp = 0);

    /// <summary>Batched BPTT from the zero state, mean-reduced as PyTorch's losses.</summary>
    float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize,
        Loss loss = Loss.Mse, LossOn on = LossOn.LastStep, int warmUp = 0,
        SequenceLayout layout = SequenceLayout.BatchFirst);

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGrad();

    /// <summary><c>torch.nn.utils.clip_grad_norm_</c> over all gradients; returns the total norm before clipping.</summary>
    float ClipGradNorm(float maxNorm, float normType = 2f, bool errorIfNonfinite = false);

    /// <summary><c>torch.nn.utils.clip_grad_value_</c>.</summary>
    void ClipGradValue(float clipValue);

    /// <summary>Loads safetensors weights with names <c>rnn.*</c> and <c>linear.*</c>.</summary>
    void Load(string path);

    /// <summary>Loads safetensors weights with the given state_dict prefixes.</summary>
    void Load(string path, string rnnPrefix, string headPrefix);

    /// <summary>Loads safetensors weights from a stream.</summary>
    void Load(Stream stream);

    /// <summary>Saves the weights as safetensors with state_dict names.</summary>
    void Save(string path);

    /// <summary>Saves the weights as safetensors to a stream.</summary>
    void Save(Stream stream);
}

/// <summary>The state layout of a one-<c>Recurrent</c> model: per layer h, then c for the LSTM, under <c>rnn</c>.</summary>
internal static class SingleLayerStateLayout<TSelf>
    where TSelf : IRecurrentModel<TSelf>
{
    public static readonly ParameterInfo[] Entries = Build();

    private static ParameterInfo[] Build()
    {
        bool lstm = TSelf.CellKind == Cell.Lstm;
        int hidden = TSelf.HiddenSize;
        var entries = new ParameterInfo[TSelf.NumLayers * (lstm ? 2 : 1)];
        int offset = 0, index = 0;
        for (int layer = 0; layer < TSelf.NumLayers; layer++)
        {
            string suffix = layer.ToString(System.Globalization.CultureInfo.InvariantCulture);
            entries[index++] = new ParameterInfo("rnn.h_l" + suffix, offset, [hidden]);
            offset += hidden;
            if (lstm)
            {
                entries[index++] = new ParameterInfo("rnn.c_l" + suffix, offset, [hidden]);
                offset += hidden;
            }
        }

        return entries;
    }
}
