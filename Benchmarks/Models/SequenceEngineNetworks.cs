using Fixed;

namespace Fixed.Benchmarks.Models;

// Networks that take the sequence engine (Runtime/Kernels/SequenceEngine.cs) rather than the packed one: a projected LSTM
// (PyTorch's proj_size) and a bidirectional GRU, hidden 32, input 1, a Linear head at every step, a BPTT window of 32.

[Recurrent(1, 32, Cell = Cell.Lstm, ProjSize = 16, OutputSize = 1, Window = 32)]
public sealed partial class Lstm1To32Proj16;

[Recurrent(1, 32, Cell = Cell.Gru, Bidirectional = true, OutputSize = 1, Window = 32)]
public sealed partial class Gru1To32Bidirectional;
