using Fixed;

namespace Fixed.Tests;

/// <summary>The seed's model: nn.RNN(1, 32) + nn.Linear(32, 1).</summary>
[Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1)]
public partial class RnnRegression;

[Recurrent(3, 5, NumLayers = 2, OutputSize = 2, Window = 12)]
public partial class SmallRnn;

[Recurrent(2, 4, Nonlinearity = Nonlinearity.Relu, OutputSize = 3, Window = 12)]
public partial class SmallReluRnn;

[Recurrent(2, 5, Cell = Cell.Gru, NumLayers = 2, OutputSize = 3, Window = 12)]
public partial class SmallGru;

[Recurrent(3, 4, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 2, Window = 12)]
public partial class SmallLstm;

[Recurrent(4, 6, Cell = Cell.Gru, Bias = false, Window = 12)]
public partial class SmallGruNoHead;

[Recurrent(1, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public partial class Gru32;

[Recurrent(1, 32, Cell = Cell.Lstm, OutputSize = 1, Window = 32)]
public partial class Lstm32;
