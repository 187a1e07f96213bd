using Fixed;

namespace Fixed.Benchmarks.Models;

// The grid's input-1 GRU and LSTM networks of hidden 32 and up again, with WeightPrecision.BFloat16 (docs/precision.md):
// the implementation "bfloat16" of the timed suites and the precision study. Same shapes, heads and window as their
// fp32 twins in Networks.cs, so a run compares the two on the same weights.

[Recurrent(1, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32, WeightPrecision = WeightPrecision.BFloat16)]
public sealed partial class Gru1To32Bf16;

[Recurrent(1, 64, Cell = Cell.Gru, OutputSize = 1, Window = 32, WeightPrecision = WeightPrecision.BFloat16)]
public sealed partial class Gru1To64Bf16;

[Recurrent(1, 128, Cell = Cell.Gru, OutputSize = 1, Window = 32, WeightPrecision = WeightPrecision.BFloat16)]
public sealed partial class Gru1To128Bf16;

[Recurrent(1, 32, Cell = Cell.Lstm, OutputSize = 1, Window = 32, WeightPrecision = WeightPrecision.BFloat16)]
public sealed partial class Lstm1To32Bf16;

[Recurrent(1, 64, Cell = Cell.Lstm, OutputSize = 1, Window = 32, WeightPrecision = WeightPrecision.BFloat16)]
public sealed partial class Lstm1To64Bf16;

[Recurrent(1, 128, Cell = Cell.Lstm, OutputSize = 1, Window = 32, WeightPrecision = WeightPrecision.BFloat16)]
public sealed partial class Lstm1To128Bf16;
