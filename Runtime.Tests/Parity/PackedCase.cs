using System;
using Fixed.Tests.Training;

namespace Fixed.Tests.Parity;

/// <summary>A model's Backward or Evaluate over a padded batch of sequences of different lengths.</summary>
public delegate float LengthsCall(object model, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths, Loss loss, LossOn on,
    SequenceLayout layout);

/// <summary>A model forward pass from a state: <c>Forward(state, inputs, outputs)</c>.</summary>
public delegate void ForwardCall(object model, Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs);

/// <summary>
/// One model of scripts/make_packed_fixtures.py seen through delegates (the lengths overloads are generated members, not
/// <see cref="IRecurrentModel{TSelf}"/>'s), so that one set of tests runs over every cell, the one-attribute models and stacks.
/// </summary>
public sealed class PackedCase
{
    public required int InputSize { get; init; }

    public required int OutputSize { get; init; }

    public required int StateLength { get; init; }

    public required int Window { get; init; }

    public required ParameterInfo[] Layout { get; init; }

    public required Func<IParameters> Create { get; init; }

    public required Action<IParameters, string> Load { get; init; }

    public required LengthsCall Backward { get; init; }

    public required LengthsCall Evaluate { get; init; }

    public required SingleCall EvaluateSingle { get; init; }

    public required ForwardCall Forward { get; init; }

    public required BatchCall BackwardBatched { get; init; }

    public static PackedCase Of<T>(LengthsCall backward, LengthsCall evaluate, SingleCall evaluateSingle)
        where T : IRecurrentModel<T> => new()
    {
        InputSize = T.InputSize,
        OutputSize = T.OutputSize,
        StateLength = T.StateLength,
        Window = T.Window,
        Layout = T.Layout.ToArray(),
        Create = () => T.Create(1),
        Load = (m, path) => ((T)m).Load(path),
        Backward = backward,
        Evaluate = evaluate,
        EvaluateSingle = evaluateSingle,
        Forward = (m, s, x, y) => ((T)m).Forward(s, x, y),
        BackwardBatched = (m, x, y, b, l, o, w, lay) => ((T)m).Backward(x, y, b, l, o, w, lay),
    };
}
