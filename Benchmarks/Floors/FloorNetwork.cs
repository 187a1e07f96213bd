using System;
using System.Collections.Generic;
using System.Linq;
using Fixed.Benchmarks.Streams;

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

    /// <summary>Weights in the step's matrices: every layer's input and hidden weights.</summary>
    public long MatrixWeights => Enumerable.Range(0, Layers).Sum(l => (long)Gates * Hidden * ((l == 0 ? Input : Hidden) + Hidden));

    /// <summary>Multiply-adds of one step: one per matrix weight, and the Linear(H, 1) head.</summary>
    public long MultiplyAdds => MatrixWeights + Hidden;

    /// <summary>Bytes of the step's matrices as the kernels read them.</summary>
    public long MatrixBytes => MatrixWeights * (BFloat16 ? 2 : 4);

    /// <summary>
    /// Vectors of σ one step computes on vectors of <paramref name="lanes"/> floats: per layer and vector of units, the GRU's
    /// r and z, the LSTM's i, f and o; none for the RNN.
    /// </summary>
    public long SigmoidVectors(int lanes) => (long)Layers * UnitVectors(lanes) * Cell switch { Cell.Gru => 2, Cell.Lstm => 3, _ => 0 };

    /// <summary>Vectors of tanh one step computes: per layer and vector of units, the GRU's n, the LSTM's g and tanh(c'), the RNN's h.</summary>
    public long TanhVectors(int lanes) => (long)Layers * UnitVectors(lanes) * (Cell == Cell.Lstm ? 2 : 1);

    /// <summary>
    /// Nanoseconds of one step's activations on this machine's widest vector (<see cref="FmaCalibration.Lanes"/>): its σ and
    /// tanh vectors at the given throughputs (ns per vector).
    /// </summary>
    public double ActivationNanoseconds(double sigmoidNs, double tanhNs) =>
        (SigmoidVectors(FmaCalibration.Lanes) * sigmoidNs) + (TanhVectors(FmaCalibration.Lanes) * tanhNs);

    private int UnitVectors(int lanes) => (Hidden + lanes - 1) / lanes;
}
