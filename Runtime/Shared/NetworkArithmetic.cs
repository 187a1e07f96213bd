// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared):
// the one definition of a network's sizes. Keep it netstandard2.0-compatible C#: see Runtime/Shared/README.md.
using System.Runtime.CompilerServices;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// The sizes of one recurrent network (<c>layers</c> stacked layers of one cell, an optional Linear head) as pure
/// functions of its attribute's values: parameter layout, state, BPTT tape and work, and the packed inference layout.
/// The runtime's <c>Shape&lt;TShape&gt;</c> and <c>PackedLayout&lt;TShape&gt;</c> call these with the shape's constants
/// (every member is aggressively inlined, so the JIT folds each size to a constant again); the generator calls them for
/// the constants it emits and for its size diagnostics.
/// </summary>
/// <remarks>
/// Everything is computed in <see langword="long"/> from <see langword="int"/> sizes. The few products and sums that can
/// overflow even a long go through <see cref="Mul"/> and <see cref="Add"/>: checked in the generator, which passes
/// attribute values it has not yet bounded and counts an <see cref="System.OverflowException"/> as "over the limit";
/// plain in the runtime, whose sizes those diagnostics have bounded (it narrows every result to <see langword="int"/>),
/// so that the JIT emits no overflow check even where an operand is a loop variable such as a layer index.
/// </remarks>
internal static class NetworkArithmetic
{
    /// <summary>The slack, in floats, a buffer is given to be used from its first 64-byte boundary: one cache line.</summary>
    public const int CacheLineSlackFloats = 16;

    /// <summary>The widest vector any machine gives the packed layout, in floats (AVX-512).</summary>
    public const int WidestLanes = 16;

    /// <summary>Gate rows per hidden unit: 1 (RNN), 3 (GRU: r, z, n), 4 (LSTM: i, f, g, o).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Gates(Cell cell) => cell == Cell.Gru ? 3 : cell == Cell.Lstm ? 4 : 1;

    /// <summary>Gate rows of one layer: <c>Gates × hidden</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long GateRows(Cell cell, int hidden) => (long)Gates(cell) * hidden;

    /// <summary>Floats of state per layer: h, and c for the LSTM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long StatePerLayer(Cell cell, int hidden) => cell == Cell.Lstm ? 2L * hidden : hidden;

    /// <summary>Floats of the whole state: every layer's h (and c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long StateLength(Cell cell, int hidden, int layers) => Mul(layers, StatePerLayer(cell, hidden));

    /// <summary>Inputs of layer <paramref name="layer"/>: the network's inputs for the first, the hidden size above it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LayerInput(int layer, int input, int hidden) => layer == 0 ? input : hidden;

    /// <summary>Outputs per step: the head's size, or the top layer's hidden size when there is no head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Outputs(int hidden, int head) => head > 0 ? head : hidden;

    /// <summary>Parameters of one layer with <paramref name="layerInput"/> inputs, in state_dict order: weight_ih, weight_hh, bias_ih, bias_hh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LayerParameters(Cell cell, int layerInput, int hidden, bool bias)
    {
        long gh = GateRows(cell, hidden);
        return Add(Mul(gh, (long)layerInput + hidden), bias ? 2 * gh : 0);
    }

    /// <summary>Where layer <paramref name="layer"/>'s parameters start; <c>layer = layers</c> gives the head's offset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LayerOffset(Cell cell, int input, int hidden, bool bias, int layer) =>
        layer == 0 ? 0 : Add(LayerParameters(cell, input, hidden, bias), Mul(layer - 1, LayerParameters(cell, hidden, hidden, bias)));

    /// <summary>Parameters of the Linear head: <c>head × (hidden + 1)</c>, or none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long HeadParameters(int hidden, int head) => head > 0 ? head * (hidden + 1L) : 0;

    /// <summary>Every parameter: the recurrent layers, then the head.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ParameterCount(Cell cell, int input, int hidden, int layers, int head, bool bias) =>
        Add(LayerOffset(cell, input, hidden, bias, layers), HeadParameters(hidden, head));

    /// <summary>
    /// Tape floats one layer records per step: its input (in a slot of whole cache lines, <see cref="TapeInputSlot"/>), h
    /// (and c) before, activated gates, one extra vector (GRU, LSTM).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LayerTape(Cell cell, int layerInput, int hidden) =>
        TapeInputSlot(layerInput) + StatePerLayer(cell, hidden) + GateRows(cell, hidden) + (cell == Cell.Rnn ? 0 : hidden);

    /// <summary>
    /// Where h before starts in a layer's record: its input rounded up to a whole number of 64-byte cache lines, so that
    /// with a hidden size that is a multiple of 16 every vector the training kernels load from or store to the tape starts on
    /// a cache line (the tape itself does: AlignedBuffer). An input of one feature took h, the gates and everything after
    /// them one float off the line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TapeInputSlot(int layerInput) => (layerInput + CacheLineSlackFloats - 1) / CacheLineSlackFloats * CacheLineSlackFloats;

    /// <summary>Where layer <paramref name="layer"/>'s record starts in one step's tape.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LayerTapeOffset(Cell cell, int input, int hidden, int layer) =>
        layer == 0 ? 0 : Add(LayerTape(cell, input, hidden), Mul(layer - 1, LayerTape(cell, hidden, hidden)));

    /// <summary>
    /// Tape floats per recorded step: every layer, the top layer's new h, and dLoss/dOutput, rounded up to whole cache lines
    /// so that every step's record starts on one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long TapeStride(Cell cell, int input, int hidden, int layers, int head) =>
        (Add(LayerTapeOffset(cell, input, hidden, layers), (long)hidden + Outputs(hidden, head)) + CacheLineSlackFloats - 1) / CacheLineSlackFloats * CacheLineSlackFloats;

    /// <summary>Working floats Backward needs besides the tape: dh and dc carried per layer, and three vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WorkLength(Cell cell, int hidden, int layers, int head) =>
        Add(Mul(2L * layers, hidden), (2 * GateRows(cell, hidden)) + hidden + Outputs(hidden, head));

    /// <summary>
    /// Floats per vector of the packed layout: the widest accelerated vector that is not wider than the hidden size
    /// (so a hidden size of 8 does not pay for a 16-lane register of padding), or 1 without SIMD.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Lanes(int hidden, bool vector512, bool vector256, bool vector128) =>
        vector512 && hidden >= 16 ? 16
        : vector256 && hidden >= 8 ? 8
        : vector128 && hidden >= 4 ? 4
        : 1;

    /// <summary>The hidden size rounded up to whole vectors of <paramref name="lanes"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long PaddedHidden(int hidden, int lanes) => ((long)hidden + lanes - 1) / lanes * lanes;

    /// <summary>Rows of a packed layer's matrices: every gate, each padded to whole vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long PackedRows(Cell cell, int hidden, int lanes) => Gates(cell) * PaddedHidden(hidden, lanes);

    /// <summary>
    /// Floats of a packed layer's bias, which is also the accumulator vector's length: the padded gates, and for the GRU
    /// one block more (<c>[n_x | r | z | n_h]</c>, as the reset gate multiplies only the hidden part of n).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long PackedBiasLength(Cell cell, int hidden, int lanes) =>
        cell == Cell.Gru ? 4 * PaddedHidden(hidden, lanes) : PackedRows(cell, hidden, lanes);

    /// <summary>Scratch floats a cell step needs: the accumulators, plus one vector for the LSTM's tanh(c').</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ScratchLength(Cell cell, int hidden, int lanes) =>
        PackedBiasLength(cell, hidden, lanes) + (cell == Cell.Lstm ? PaddedHidden(hidden, lanes) : 0);

    /// <summary>
    /// The most stack bytes one step's scratch takes on any machine: <see cref="ScratchLength"/> at the widest vector,
    /// plus the cache-line slack it is allocated with.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WorstCaseScratchBytes(Cell cell, int hidden) =>
        (ScratchLength(cell, hidden, WidestLanes) + CacheLineSlackFloats) * sizeof(float);

    /// <summary>Floats of one packed layer with <paramref name="layerInput"/> inputs: Wx, Wh, then the bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long PackedLayerLength(Cell cell, int layerInput, int hidden, int lanes) =>
        Add(Mul((long)layerInput + hidden, PackedRows(cell, hidden, lanes)), PackedBiasLength(cell, hidden, lanes));

    /// <summary>Where packed layer <paramref name="layer"/> starts; <c>layer = layers</c> gives the whole packed length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long PackedLayerOffset(Cell cell, int input, int hidden, int lanes, int layer) =>
        layer == 0 ? 0 : Add(PackedLayerLength(cell, input, hidden, lanes), Mul(layer - 1, PackedLayerLength(cell, hidden, hidden, lanes)));

    /// <summary>Floats of the whole packed copy of the recurrent layers' weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long PackedLength(Cell cell, int input, int hidden, int layers, int lanes) =>
        PackedLayerOffset(cell, input, hidden, lanes, layers);

    // Every other operation above is bounded for int sizes: at most 4 × 2^31 gate rows, 16 × 2^31 of scratch bytes, a
    // sum of a few such terms, or an int times an int (2^62).

    /// <summary><paramref name="a"/> × <paramref name="b"/>: checked in the generator, plain in the runtime (see the remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if FIXED_GENERATOR
    private static long Mul(long a, long b) => checked(a * b);
#else
    private static long Mul(long a, long b) => a * b;
#endif

    /// <summary><paramref name="a"/> + <paramref name="b"/>: checked in the generator, plain in the runtime (see the remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if FIXED_GENERATOR
    private static long Add(long a, long b) => checked(a + b);
#else
    private static long Add(long a, long b) => a + b;
#endif
}
