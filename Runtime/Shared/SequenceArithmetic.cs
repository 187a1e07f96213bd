// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared):
// the one definition of the sizes of a network with ProjSize or Bidirectional. Keep it netstandard2.0-compatible C#: see
// Runtime/Shared/README.md.
using System.Runtime.CompilerServices;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// The sizes of a recurrent network that has PyTorch's <c>proj_size</c> (LSTM: <c>h = W_hr (o ⊙ tanh c)</c>, of
/// <c>proj</c> units) or <c>bidirectional=True</c> (each layer run forwards and backwards over the whole sequence, its
/// output <c>[forward, reverse]</c>), as pure functions of the attribute's values. These networks run on the runtime's
/// <c>SequenceEngine&lt;TShape&gt;</c>; the generator uses the same functions for the constants it emits.
/// </summary>
/// <remarks>
/// <c>proj</c> is 0 for no projection; <c>directions</c> is 1 or 2. Parameters follow PyTorch's state_dict order: per
/// layer, per direction (forward, then <c>_reverse</c>): <c>weight_ih [G·H, in]</c>, <c>weight_hh [G·H, R]</c>,
/// <c>bias_ih</c>, <c>bias_hh</c>, <c>weight_hr [P, H]</c>, where <c>R</c> (<see cref="HiddenOut"/>) is the width of h;
/// then the head <c>[O, D·R]</c> and its bias. Overflow rules as in <see cref="NetworkArithmetic"/>.
/// </remarks>
internal static class SequenceArithmetic
{
    /// <summary>Floats of h per direction: the projection's size, or the hidden size without one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HiddenOut(int hidden, int proj) => proj > 0 ? proj : hidden;

    /// <summary>Inputs of layer <paramref name="layer"/>: the network's inputs, or every direction's h of the layer below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LayerInput(int layer, int input, int hidden, int proj, int directions) =>
        layer == 0 ? input : (long)directions * HiddenOut(hidden, proj);

    /// <summary>Outputs per step: the head's size, or every direction's h of the top layer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Outputs(int hidden, int proj, int directions, int head) =>
        head > 0 ? head : (long)directions * HiddenOut(hidden, proj);

    /// <summary>Parameters of one direction of a layer with <paramref name="layerInput"/> inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long DirectionParameters(Cell cell, long layerInput, int hidden, int proj, bool bias)
    {
        long gh = NetworkArithmetic.GateRows(cell, hidden);
        return Add(Add(Mul(gh, layerInput + HiddenOut(hidden, proj)), bias ? 2 * gh : 0), (long)proj * hidden);
    }

    /// <summary>Where layer <paramref name="layer"/>'s parameters start; <c>layer = layers</c> gives the head's offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LayerOffset(Cell cell, int input, int hidden, int proj, int directions, bool bias, int layer) =>
        layer == 0
            ? 0
            : Add(Mul(directions, DirectionParameters(cell, input, hidden, proj, bias)),
                Mul(Mul(layer - 1, directions), DirectionParameters(cell, LayerInput(1, input, hidden, proj, directions), hidden, proj, bias)));

    /// <summary>Where one direction's parameters start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long DirectionOffset(Cell cell, int input, int hidden, int proj, int directions, bool bias, int layer, int direction) =>
        Add(LayerOffset(cell, input, hidden, proj, directions, bias, layer),
            Mul(direction, DirectionParameters(cell, LayerInput(layer, input, hidden, proj, directions), hidden, proj, bias)));

    /// <summary>Every parameter: the recurrent layers, then the head (<c>[O, D·R]</c> and its bias).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ParameterCount(Cell cell, int input, int hidden, int proj, int directions, int layers, int head, bool bias) =>
        Add(LayerOffset(cell, input, hidden, proj, directions, bias, layers),
            head > 0 ? Mul(head, Outputs(hidden, proj, directions, 0) + 1) : 0);

    /// <summary>State floats of one direction of one layer: h (R floats), and c (H floats) for the LSTM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long StatePerDirection(Cell cell, int hidden, int proj) => HiddenOut(hidden, proj) + (cell == Cell.Lstm ? (long)hidden : 0);

    /// <summary>State floats: per layer, per direction, h then c (PyTorch's <c>h_0</c>/<c>c_0</c> rows, layer × directions + direction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long StateLength(Cell cell, int hidden, int proj, int directions, int layers) =>
        Mul(Mul(layers, directions), StatePerDirection(cell, hidden, proj));

    /// <summary>
    /// Floats one direction of one layer records per step for BPTT: h and c before the step, the activated gates, the
    /// GRU's <c>W_hn h + b_hn</c> or the LSTM's tanh(c'), and with a projection the unprojected <c>o ⊙ tanh(c')</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long DirectionTape(Cell cell, int hidden, int proj) =>
        StatePerDirection(cell, hidden, proj) + NetworkArithmetic.GateRows(cell, hidden) + (cell == Cell.Rnn ? 0 : hidden) + (proj > 0 ? hidden : 0);

    /// <summary>
    /// Tape floats per recorded step: every layer's and direction's record, the step's input, every layer's output
    /// (<c>D·R</c> each) and the network's output (which the loss overwrites with dLoss/dOutput).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long TapeStride(Cell cell, int input, int hidden, int proj, int directions, int layers, int head) =>
        Add(Mul(Mul(layers, directions), DirectionTape(cell, hidden, proj) + HiddenOut(hidden, proj)),
            input + Outputs(hidden, proj, directions, head));

    /// <summary>
    /// Backward's working floats besides the tape: two <c>[window, D·R]</c> gradient sequences (the layer being swept and
    /// the one below), and the vectors of one cell's backward step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WorkLength(Cell cell, int hidden, int proj, int directions, int window) =>
        Add(Mul(2L * window, (long)directions * HiddenOut(hidden, proj)), CellWork(cell, hidden, proj));

    /// <summary>The vectors of one cell's backward step: dh, dh carried, dc, dpi, dph, the direct part of dh, dm.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long CellWork(Cell cell, int hidden, int proj) =>
        (3L * HiddenOut(hidden, proj)) + (2 * NetworkArithmetic.GateRows(cell, hidden)) + (3L * hidden);

    /// <summary>
    /// Floats of one forward cell step's scratch, on the stack: the gate sums with one block more (the GRU's hidden part of
    /// n, or the LSTM's tanh(c')), and the LSTM's unprojected h.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ScratchLength(Cell cell, int hidden) => (NetworkArithmetic.Gates(cell) + 2L) * hidden;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if FIXED_GENERATOR
    private static long Mul(long a, long b) => checked(a * b);
#else
    private static long Mul(long a, long b) => a * b;
#endif

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if FIXED_GENERATOR
    private static long Add(long a, long b) => checked(a + b);
#else
    private static long Add(long a, long b) => a + b;
#endif
}
