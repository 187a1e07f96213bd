using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// Everything derived from an <see cref="INetworkShape"/>: parameter offsets, state and tape layout.
/// All members are pure functions of the shape's constants, so after specialisation they are constants too.
/// </summary>
internal static class Shape<TShape>
    where TShape : struct, INetworkShape
{
    public static int I
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.InputSize;
    }

    public static int H
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.HiddenSize;
    }

    public static int L
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.NumLayers;
    }

    public static bool HasHead
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.HeadSize > 0;
    }

    /// <summary>Outputs per step: the head's size, or the top layer's hidden size.</summary>
    public static int O
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => HasHead ? TShape.HeadSize : TShape.HiddenSize;
    }

    public static bool IsLstm
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Cell == Cell.Lstm;
    }

    /// <summary>Gate rows per hidden unit: 1 (RNN), 3 (GRU: r, z, n), 4 (LSTM: i, f, g, o).</summary>
    public static int Gates
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Cell == Cell.Gru ? 3 : TShape.Cell == Cell.Lstm ? 4 : 1;
    }

    public static int GH
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Gates * H;
    }

    /// <summary>Floats of state per layer: h, and c for the LSTM.</summary>
    public static int StatePerLayer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsLstm ? 2 * H : H;
    }

    public static int StateLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => L * StatePerLayer;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerInput(int layer) => layer == 0 ? I : H;

    /// <summary>Parameters of one layer, in state_dict order: weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerParameters(int layer) => GH * (LayerInput(layer) + H) + (TShape.Bias ? 2 * GH : 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerOffset(int layer) => layer == 0 ? 0 : LayerParameters(0) + (layer - 1) * LayerParameters(1);

    public static int HeadOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => LayerOffset(L);
    }

    public static int ParameterCount
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => HeadOffset + (HasHead ? TShape.HeadSize * (H + 1) : 0);
    }

    /// <summary>Tape floats one layer records per step: its input, h (and c) before, activated gates, one extra vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerTape(int layer) => LayerInput(layer) + StatePerLayer + GH + (TShape.Cell == Cell.Rnn ? 0 : H);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerTapeOffset(int layer) => layer == 0 ? 0 : LayerTape(0) + (layer - 1) * LayerTape(1);

    /// <summary>Tape floats per recorded step: every layer, the top layer's new h, and dLoss/dOutput.</summary>
    public static int TapeStride
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => LayerTapeOffset(L) + H + O;
    }

    public static int TapeLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Window * TapeStride;
    }

    /// <summary>Working floats Backward needs besides the tape: dh and dc carried per layer, and three vectors.</summary>
    public static int WorkLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2 * L * H + 2 * GH + H + O;
    }
}
