using Fixed;

namespace Fixed.Tests.Precision;

// WeightPrecision.BFloat16 models, each with an fp32 twin of the same shape: the twin given the bfloat16-rounded weights
// must compute bit for bit what the BFloat16 model computes (same kernels' order of operations, other loads). The shapes
// cover every kernel path: input size 1 (the column pass) and more, odd input and hidden sizes (a column pair half
// padding), hidden sizes whose padded gate rows make full row blocks, tails of 1 to 7 vectors, several layers.

[Recurrent(1, 64, Cell = Cell.Gru, OutputSize = 1, Window = 40, WeightPrecision = WeightPrecision.BFloat16)]
public partial class Gru64Bf16;

[Recurrent(1, 64, Cell = Cell.Gru, OutputSize = 1, Window = 40)]
public partial class Gru64Twin;

[Recurrent(1, 64, Cell = Cell.Lstm, OutputSize = 1, Window = 40, WeightPrecision = WeightPrecision.BFloat16)]
public partial class Lstm64Bf16;

[Recurrent(1, 64, Cell = Cell.Lstm, OutputSize = 1, Window = 40)]
public partial class Lstm64Twin;

[Recurrent(3, 5, Cell = Cell.Gru, NumLayers = 2, OutputSize = 2, Window = 12, WeightPrecision = WeightPrecision.BFloat16)]
public partial class Gru3x5Bf16;

[Recurrent(3, 5, Cell = Cell.Gru, NumLayers = 2, OutputSize = 2, Window = 12)]
public partial class Gru3x5Twin;

[Recurrent(7, 9, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 3, Window = 16, WeightPrecision = WeightPrecision.BFloat16)]
public partial class Lstm7x9Bf16;

[Recurrent(7, 9, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 3, Window = 16)]
public partial class Lstm7x9Twin;

[Recurrent(5, 40, NumLayers = 2, OutputSize = 2, Window = 10, WeightPrecision = WeightPrecision.BFloat16)]
public partial class Rnn5x40Bf16;

[Recurrent(5, 40, NumLayers = 2, OutputSize = 2, Window = 10)]
public partial class Rnn5x40Twin;

// Three gates of 8: a block of three vectors at 8 lanes (ReducedMath's Wide kernel with three accumulators per column).
[Recurrent(3, 8, Cell = Cell.Gru, OutputSize = 1, Window = 12, WeightPrecision = WeightPrecision.BFloat16)]
public partial class Gru3x8Bf16;

[Recurrent(3, 8, Cell = Cell.Gru, OutputSize = 1, Window = 12)]
public partial class Gru3x8Twin;

/// <summary>A layer stack whose recurrent layer is bfloat16 (the Linear layers are fp32 whatever the attribute says).</summary>
[Recurrent(2, 12, Cell = Cell.Gru, Name = "enc", Window = 10, WeightPrecision = WeightPrecision.BFloat16)]
[Linear(12, 3, Name = "out")]
public partial class StackBf16;

[Recurrent(2, 12, Cell = Cell.Gru, Name = "enc", Window = 10)]
[Linear(12, 3, Name = "out")]
public partial class StackTwin;
