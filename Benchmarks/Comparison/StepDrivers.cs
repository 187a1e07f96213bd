using System;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Comparison;

/// <summary>
/// One generated model and its <c>State</c> struct, stepped exactly as a user writes it
/// (<c>model.Step(ref state, input, output)</c> on the concrete class). The timing loop is generic over these structs,
/// so the JIT compiles it once per model with the call direct and inlinable: no interface or shared-generic dispatch.
/// </summary>
internal interface IStepDriver
{
    /// <summary>Creates the model with PyTorch's default initialisation from <paramref name="seed"/>, state zero.</summary>
    void Create(int seed);

    /// <summary>Zeroes the state.</summary>
    void Reset();

    /// <summary>One step.</summary>
    void Step(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>The weights, flat, in state_dict order.</summary>
    ReadOnlySpan<float> Parameters { get; }

    /// <summary>Each tensor's state_dict name, offset and shape.</summary>
    ReadOnlySpan<ParameterInfo> Layout { get; }
}

internal struct Rnn32Driver : IStepDriver
{
    private Rnn1To32 _model;
    private Rnn1To32.State _state;

    public void Create(int seed) => (_model, _state) = (new Rnn1To32(seed), default);

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Rnn1To32.Layout;
}

internal struct Gru8Driver : IStepDriver
{
    private Gru1To8 _model;
    private Gru1To8.State _state;

    public void Create(int seed) => (_model, _state) = (new Gru1To8(seed), default);

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Gru1To8.Layout;
}

internal struct Gru32Driver : IStepDriver
{
    private Gru1To32 _model;
    private Gru1To32.State _state;

    public void Create(int seed) => (_model, _state) = (new Gru1To32(seed), default);

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Gru1To32.Layout;
}

internal struct Gru64Driver : IStepDriver
{
    private Gru1To64 _model;
    private Gru1To64.State _state;

    public void Create(int seed) => (_model, _state) = (new Gru1To64(seed), default);

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Gru1To64.Layout;
}

internal struct Gru3To32Driver : IStepDriver
{
    private Gru3To32 _model;
    private Gru3To32.State _state;

    public void Create(int seed) => (_model, _state) = (new Gru3To32(seed), default);

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Gru3To32.Layout;
}

internal struct Lstm32Driver : IStepDriver
{
    private Lstm1To32 _model;
    private Lstm1To32.State _state;

    public void Create(int seed) => (_model, _state) = (new Lstm1To32(seed), default);

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Lstm1To32.Layout;
}

internal struct Lstm64Driver : IStepDriver
{
    private Lstm1To64 _model;
    private Lstm1To64.State _state;

    public void Create(int seed) => (_model, _state) = (new Lstm1To64(seed), default);

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Lstm1To64.Layout;
}

internal struct Gru32x2Driver : IStepDriver
{
    private Gru1To32x2 _model;
    private Gru1To32x2.State _state;

    public void Create(int seed) => (_model, _state) = (new Gru1To32x2(seed), default);

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Gru1To32x2.Layout;
}

/// <summary>
/// Rounds a model's recurrent weight matrices to bfloat16 in place, so that its fp32 <c>Parameters</c> hold exactly the
/// values a <c>WeightPrecision.BFloat16</c> model computes with: what RTNeural (fp32 only) is then given, so that both sides
/// run the same network.
/// </summary>
internal static class BFloat16Drivers
{
    public static void RoundMatrices(Span<float> parameters, ReadOnlySpan<ParameterInfo> layout)
    {
        foreach (ParameterInfo tensor in layout)
        {
            if (tensor.Name.Contains(".weight_ih_l", StringComparison.Ordinal) || tensor.Name.Contains(".weight_hh_l", StringComparison.Ordinal))
            {
                BFloat16.RoundInPlace(parameters.Slice(tensor.Offset, tensor.Length));
            }
        }
    }
}

internal struct Gru64Bf16Driver : IStepDriver
{
    private Gru1To64Bf16 _model;
    private Gru1To64Bf16.State _state;

    public void Create(int seed)
    {
        (_model, _state) = (new Gru1To64Bf16(seed), default);
        BFloat16Drivers.RoundMatrices(_model.Parameters, Gru1To64Bf16.Layout);
    }

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Gru1To64Bf16.Layout;
}

internal struct Lstm64Bf16Driver : IStepDriver
{
    private Lstm1To64Bf16 _model;
    private Lstm1To64Bf16.State _state;

    public void Create(int seed)
    {
        (_model, _state) = (new Lstm1To64Bf16(seed), default);
        BFloat16Drivers.RoundMatrices(_model.Parameters, Lstm1To64Bf16.Layout);
    }

    public void Reset() => _state = default;

    public void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(ref _state, input, output);

    public readonly ReadOnlySpan<float> Parameters => ((IParameters)_model).ParameterValues;

    public readonly ReadOnlySpan<ParameterInfo> Layout => Lstm1To64Bf16.Layout;
}
