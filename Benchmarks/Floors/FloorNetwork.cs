using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;

namespace Fixed.Benchmarks.Floors;

/// <summary>
/// One network of the floors table: its shape, and the floors derived from it and the machine's measured constants.
/// </summary>
/// <param name="Key">The driver key (<see cref="Comparison.RtNeuralCommand.Dispatch"/>) and the RTNeural comparison's key.</param>
/// <param name="Display">The table's name for it.</param>
/// <param name="Cell">The cell.</param>
/// <param name="Input">Input features.</param>
/// <param name="Hidden">Units per layer.</param>
/// <param name="Layers">Stacked layers (each of <paramref name="Hidden"/> units).</param>
/// <param name="BFloat16">Whether the weight matrices are stored as bfloat16 (<c>WeightPrecision.BFloat16</c>).</param>
internal sealed record FloorNetwork(string Key, string Display, Cell Cell, int Input, int Hidden, int Layers, bool BFloat16)
{
    /// <summary>The networks, in table order: the RTNeural comparison's, then RNN tanh 1→32 (its own target, ≤ 25 ns).</summary>
    public static readonly IReadOnlyList<FloorNetwork> All =
    [
        new("gru8", "GRU 1→8", Cell.Gru, 1, 8, 1, false),
        new("gru32", "GRU 1→32", Cell.Gru, 1, 32, 1, false),
        new("gru64", "GRU 1→64", Cell.Gru, 1, 64, 1, false),
        new("gru64bf16", "GRU 1→64, bf16 weights", Cell.Gru, 1, 64, 1, true),
        new("gru3x32", "GRU 3→32", Cell.Gru, 3, 32, 1, false),
        new("lstm32", "LSTM 1→32", Cell.Lstm, 1, 32, 1, false),
        new("lstm64", "LSTM 1→64", Cell.Lstm, 1, 64, 1, false),
        new("lstm64bf16", "LSTM 1→64, bf16 weights", Cell.Lstm, 1, 64, 1, true),
        new("gru32l2", "GRU 1→32, 2 layers", Cell.Gru, 1, 32, 2, false),
        new("rnn32", "RNN tanh 1→32", Cell.Rnn, 1, 32, 1, false),
    ];

    /// <summary>Gates per unit: 1 (RNN), 3 (GRU), 4 (LSTM).</summary>
    public int Gates => Cell switch { Cell.Gru => 3, Cell.Lstm => 4, _ => 1 };

    /// <summary>Multiply-adds of one step: every layer's input and hidden products, and the Linear(H, 1) head.</summary>
    public long MultiplyAdds => Enumerable.Range(0, Layers).Sum(l => (long)Gates * Hidden * ((l == 0 ? Input : Hidden) + Hidden)) + Hidden;

    /// <summary>Bytes of one layer's hidden weight matrix as the kernels read it every step.</summary>
    public long HiddenMatrixBytes => (long)Gates * Hidden * Hidden * (BFloat16 ? 2 : 4);

    /// <summary>Bytes of every weight matrix of the step (inputs, hidden, every layer).</summary>
    public long MatrixBytes => Enumerable.Range(0, Layers).Sum(l => (long)Gates * Hidden * ((l == 0 ? Input : Hidden) + Hidden)) * (BFloat16 ? 2 : 4);

    /// <summary>Lanes of the vector the kernels use for this width: the widest accelerated one not wider than H.</summary>
    public int Lanes =>
        Vector512.IsHardwareAccelerated && Hidden >= 16 ? 16
        : Vector256.IsHardwareAccelerated && Hidden >= 8 ? 8
        : Vector128.IsHardwareAccelerated ? 4 : 1;

    /// <summary>
    /// Independent FMA chains per vector of gate rows in the hidden product (the block kernels: four accumulators per vector
    /// for blocks of one or two vectors, two for blocks of three to eight), so each chain is H ÷ that many FMAs long.
    /// </summary>
    public int AccumulatorsPerVector => (Gates * Hidden + Lanes - 1) / Lanes <= 2 ? 4 : 2;

    /// <summary>
    /// Activations and element-wise operations on the recurrence's path after the hidden product, as (σ, tanh, FMA-latency
    /// operations): RNN h = tanh(s); GRU σ(r), then n = tanh(i_n + r·h_n) (one FMA), then h = n + z·(h − n) (a subtract and
    /// an FMA); LSTM σ(f), then c = f·c + i·g (a multiply and an FMA), tanh(c), then h = o·tanh(c) (a multiply).
    /// </summary>
    public (int Sigmoids, int Tanhs, int Fmas) ActivationPath => Cell switch
    {
        Cell.Gru => (1, 1, 3),
        Cell.Lstm => (1, 1, 3),
        _ => (0, 1, 0),
    };
}
