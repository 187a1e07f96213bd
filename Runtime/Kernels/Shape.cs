using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// Everything derived from an <see cref="INetworkShape"/>: parameter offsets, state and tape layout.
/// All members are pure functions of the shape's constants, so after specialisation they are constants too: each calls
/// <see cref="NetworkArithmetic"/> (the sizes the generator computes too) with those constants, and the JIT folds it.
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

    /// <summary>Whether Backward drops units between stacked layers: a <c>Dropout</c> above 0 and a layer above the first.</summary>
    public static bool HasDropout
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Dropout > 0 && TShape.NumLayers > 1;
    }

    public static bool HasHead
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.OutputSize > 0;
    }

    /// <summary>Outputs per step: the head's size, or the top layer's hidden size.</summary>
    public static int O
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => NetworkArithmetic.Outputs(TShape.HiddenSize, TShape.OutputSize);
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
        get => NetworkArithmetic.Gates(TShape.Cell);
    }

    public static int GH
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.GateRows(TShape.Cell, H);
    }

    /// <summary>Floats of state per layer: h, and c for the LSTM.</summary>
    public static int StatePerLayer
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.StatePerLayer(TShape.Cell, H);
    }

    public static int StateLength
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.StateLength(TShape.Cell, H, L);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerInput(int layer) => NetworkArithmetic.LayerInput(layer, I, H);

    /// <summary>Where h before starts in layer <paramref name="layer"/>'s tape record: its input's slot of whole cache lines.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerInputSlot(int layer) => NetworkArithmetic.TapeInputSlot(LayerInput(layer));

    /// <summary>Parameters of one layer, in state_dict order: weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerParameters(int layer) => (int)NetworkArithmetic.LayerParameters(TShape.Cell, LayerInput(layer), H, TShape.Bias);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerOffset(int layer) => (int)NetworkArithmetic.LayerOffset(TShape.Cell, I, H, TShape.Bias, layer);

    public static int HeadOffset
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => LayerOffset(L);
    }

    public static int ParameterCount
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.ParameterCount(TShape.Cell, I, H, L, TShape.OutputSize, TShape.Bias);
    }

    /// <summary>Tape floats one layer records per step: its input, h (and c) before, activated gates, one extra vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerTape(int layer) => (int)NetworkArithmetic.LayerTape(TShape.Cell, LayerInput(layer), H);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerTapeOffset(int layer) => (int)NetworkArithmetic.LayerTapeOffset(TShape.Cell, I, H, layer);

    /// <summary>Tape floats per recorded step: every layer, the top layer's new h, and dLoss/dOutput.</summary>
    public static int TapeStride
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)NetworkArithmetic.TapeStride(TShape.Cell, I, H, L, TShape.OutputSize);
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
        get => (int)NetworkArithmetic.WorkLength(TShape.Cell, H, L, TShape.OutputSize);
    }
}
