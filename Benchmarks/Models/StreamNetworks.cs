using Fixed;

namespace Fixed.Benchmarks.Models;

// The third network of the many-streams targets (issue 14): an LSTM with a 4-wide input, as an IMU or a 4-channel
// sensor would feed it. GRU 1→32 and GRU 1→128 come from the grid (Networks.cs).

[Recurrent(4, 64, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm4To64;
