using System;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// The forward pass of every generated model, written once and specialised per shape by the JIT
/// (<typeparamref name="TShape"/> is a struct whose members are constants). Generated models call into it;
/// it is public only for that reason.
/// </summary>
/// <remarks>
/// Parameters are read in PyTorch layout straight from the model's flat vector, so anything that writes
/// <c>Parameters</c> is seen by the next call without any synchronisation step. Scratch vectors live on
/// the stack; nothing here allocates or keeps state between calls, so one model serves many threads.
/// </remarks>
/// <typeparam name="TShape">The generated shape of the network.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class RecurrentEngine<TShape>
    where TShape : struct, INetworkShape
{
    private static int I
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.I;
    }

    private static int H
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.H;
    }

    private static int L
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.L;
    }

    private static int O
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.O;
    }

    private static int GH
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.GH;
    }

    private static int StatePerLayer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.StatePerLayer;
    }

    /// <summary>Floats in one state: h (and c) of every layer.</summary>
    public static int StateLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.StateLength;
    }

    /// <summary>Length of the flat parameter vector.</summary>
    public static int ParameterCount
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.ParameterCount;
    }

    /// <summary>Floats of the BPTT tape a model must own.</summary>
    public static int TapeLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.TapeLength;
    }

    /// <summary>Floats of Backward's working memory a model must own.</summary>
    public static int WorkLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shape<TShape>.WorkLength;
    }

    /// <summary>One time step: advances <paramref name="state"/> and writes <c>OutputSize</c> outputs.</summary>
    public static void Step(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> input, Span<float> output)
    {
        CheckState(state);
        Guard.Length(input, I, nameof(input), "[InputSize={0}]", I);
        Guard.Length(output, O, nameof(output), "[OutputSize={0}]", O);
        Span<float> gi = stackalloc float[GH];
        Span<float> gh = stackalloc float[GH];
        AdvanceLayers(parameters, state, input, gi, gh);
        Head(parameters, state.Slice((L - 1) * StatePerLayer, H), output);
    }

    /// <summary>T time steps: <c>[T, InputSize]</c> in, <c>[T, OutputSize]</c> out.</summary>
    public static void Forward(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        CheckState(state);
        int steps = Guard.Rows(inputs, I, nameof(inputs), "[T, InputSize={0}]");
        Guard.SameLength(steps, outputs, O, nameof(outputs));
        Span<float> gi = stackalloc float[GH];
        Span<float> gh = stackalloc float[GH];
        Span<float> top = state.Slice((L - 1) * StatePerLayer, H);
        for (int t = 0; t < steps; t++)
        {
            AdvanceLayers(parameters, state, inputs.Slice(t * I, I), gi, gh);
            Head(parameters, top, outputs.Slice(t * O, O));
        }
    }

    /// <summary>Advances the state over <c>[T, InputSize]</c>; computes no outputs.</summary>
    public static void WarmUp(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> inputs)
    {
        CheckState(state);
        int steps = Guard.Rows(inputs, I, nameof(inputs), "[T, InputSize={0}]");
        Span<float> gi = stackalloc float[GH];
        Span<float> gh = stackalloc float[GH];
        for (int t = 0; t < steps; t++)
        {
            AdvanceLayers(parameters, state, inputs.Slice(t * I, I), gi, gh);
        }
    }

    private static void CheckState(ReadOnlySpan<float> state)
    {
        if (state.Length != StateLength)
        {
            Guard.ThrowLength(nameof(state), StateLength, Format($"[NumLayers={L}, {(Shape<TShape>.IsLstm ? "h and c, " : string.Empty)}HiddenSize={H}]"), state.Length);
        }
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs every layer for one step, each layer's new h feeding the next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AdvanceLayers(ReadOnlySpan<float> parameters, Span<float> state, ReadOnlySpan<float> input, Span<float> gi, Span<float> gh)
    {
        for (int layer = 0; layer < L; layer++)
        {
            Span<float> layerState = state.Slice(layer * StatePerLayer, StatePerLayer);
            CellStep(parameters, layer, input, layerState, gi, gh);
            input = layerState.Slice(0, H);
        }
    }

    /// <summary>
    /// One cell update in place. Leaves in <paramref name="gi"/> the activated gates (RNN: h'; GRU: r, z, n;
    /// LSTM: i, f, g, o) and in <paramref name="gh"/> the one extra vector Backward needs (GRU: W_hn h + b_hn
    /// in its third block; LSTM: tanh(c') in its first), so that training records exactly what inference computed.
    /// </summary>
    private static void CellStep(ReadOnlySpan<float> parameters, int layer, ReadOnlySpan<float> x, Span<float> layerState, Span<float> gi, Span<float> gh)
    {
        int inSize = Shape<TShape>.LayerInput(layer);
        ReadOnlySpan<float> p = parameters.Slice(Shape<TShape>.LayerOffset(layer), Shape<TShape>.LayerParameters(layer));
        ReadOnlySpan<float> wih = p.Slice(0, GH * inSize);
        ReadOnlySpan<float> whh = p.Slice(GH * inSize, GH * H);
        ReadOnlySpan<float> bih = TShape.Bias ? p.Slice(GH * (inSize + H), GH) : default;
        ReadOnlySpan<float> bhh = TShape.Bias ? p.Slice(GH * (inSize + H + 1), GH) : default;
        Span<float> h = layerState.Slice(0, H);

        if (TShape.Cell == Cell.Gru)
        {
            // The reset gate multiplies the whole hidden projection, bias included, so it is kept apart.
            VectorMath.Project(wih, GH, inSize, x, bih, gi, TShape.Bias, accumulate: false);
            VectorMath.Project(whh, GH, H, h, bhh, gh, TShape.Bias, accumulate: false);
            Span<float> rz = gi.Slice(0, 2 * H);
            Span<float> n = gi.Slice(2 * H, H);
            VectorMath.Add(gh.Slice(0, 2 * H), rz);
            Activations.Sigmoid(rz);
            Elementwise.Apply<MultiplyAddOperator>(n, rz.Slice(0, H), gh.Slice(2 * H, H), n);
            Activations.Tanh(n);
            Elementwise.Apply<InterpolateOperator>(n, rz.Slice(H, H), h, h);
            return;
        }

        VectorMath.Project(wih, GH, inSize, x, bih, gi, TShape.Bias, accumulate: false);
        VectorMath.Project(whh, GH, H, h, bhh, gi, TShape.Bias, accumulate: true);

        if (TShape.Cell == Cell.Lstm)
        {
            Span<float> c = layerState.Slice(H, H);
            Span<float> tanhC = gh.Slice(0, H);
            Activations.Sigmoid(gi.Slice(0, 2 * H));
            Activations.Tanh(gi.Slice(2 * H, H));
            Activations.Sigmoid(gi.Slice(3 * H, H));
            Elementwise.Apply<MultiplyOperator>(gi.Slice(0, H), gi.Slice(2 * H, H), tanhC);
            Elementwise.Apply<MultiplyAddOperator>(tanhC, gi.Slice(H, H), c, c);
            c.CopyTo(tanhC);
            Activations.Tanh(tanhC);
            Elementwise.Apply<MultiplyOperator>(gi.Slice(3 * H, H), tanhC, h);
            return;
        }

        if (TShape.Nonlinearity == Nonlinearity.Relu)
        {
            Activations.Relu(gi);
        }
        else
        {
            Activations.Tanh(gi);
        }

        gi.CopyTo(h);
    }

    /// <summary>The Linear head on the top layer's h, or a copy of h when there is no head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Head(ReadOnlySpan<float> parameters, ReadOnlySpan<float> top, Span<float> output)
    {
        if (!Shape<TShape>.HasHead)
        {
            top.CopyTo(output);
            return;
        }

        int offset = Shape<TShape>.HeadOffset;
        VectorMath.Project(parameters.Slice(offset, O * H), O, H, top, parameters.Slice(offset + O * H, O), output, hasBias: true, accumulate: false);
    }
}
