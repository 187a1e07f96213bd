using Fixed;

namespace Fixed.Benchmarks.Models;

// The benchmark grid: RNN (tanh) / GRU / LSTM x hidden {8, 16, 32, 64, 128} x input {1, 8},
// one layer, a Linear(hidden, 1) head at every step, a BPTT window of 32. Names read Cell{Input}To{Hidden}.

[Recurrent(1, 8, OutputSize = 1, Window = 32)]
public sealed partial class Rnn1To8;

[Recurrent(1, 16, OutputSize = 1, Window = 32)]
public sealed partial class Rnn1To16;

[Recurrent(1, 32, OutputSize = 1, Window = 32)]
public sealed partial class Rnn1To32;

[Recurrent(1, 64, OutputSize = 1, Window = 32)]
public sealed partial class Rnn1To64;

[Recurrent(1, 128, OutputSize = 1, Window = 32)]
public sealed partial class Rnn1To128;

[Recurrent(8, 8, OutputSize = 1, Window = 32)]
public sealed partial class Rnn8To8;

[Recurrent(8, 16, OutputSize = 1, Window = 32)]
public sealed partial class Rnn8To16;

[Recurrent(8, 32, OutputSize = 1, Window = 32)]
public sealed partial class Rnn8To32;

[Recurrent(8, 64, OutputSize = 1, Window = 32)]
public sealed partial class Rnn8To64;

[Recurrent(8, 128, OutputSize = 1, Window = 32)]
public sealed partial class Rnn8To128;

[Recurrent(1, 8, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru1To8;

[Recurrent(1, 16, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru1To16;

[Recurrent(1, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru1To32;

[Recurrent(1, 64, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru1To64;

[Recurrent(1, 128, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru1To128;

[Recurrent(8, 8, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru8To8;

[Recurrent(8, 16, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru8To16;

[Recurrent(8, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru8To32;

[Recurrent(8, 64, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru8To64;

[Recurrent(8, 128, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru8To128;

[Recurrent(1, 8, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm1To8;

[Recurrent(1, 16, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm1To16;

[Recurrent(1, 32, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm1To32;

[Recurrent(1, 64, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm1To64;

[Recurrent(1, 128, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm1To128;

[Recurrent(8, 8, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm8To8;

[Recurrent(8, 16, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm8To16;

[Recurrent(8, 32, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm8To32;

[Recurrent(8, 64, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm8To64;

[Recurrent(8, 128, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public sealed partial class Lstm8To128;
