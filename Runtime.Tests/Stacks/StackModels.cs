using Fixed;

namespace Fixed.Tests.Stacks;

// The layer stacks of the contract's examples, and a few more shapes the stack tests need.

[Recurrent(3, 16, Cell = Cell.Gru, Name = "enc")]
[Recurrent(16, 8, Cell = Cell.Gru, Name = "dec")]
[Linear(8, 12, Name = "fc1")]
[Relu]
[Linear(12, 2, Name = "fc2")]
public partial class Stack;

[Linear(2, 6, Name = "pre")]
[Tanh]
[Recurrent(6, 20, Cell = Cell.Lstm, NumLayers = 2, Name = "lstm")]
[Linear(20, 1, Name = "out")]
public partial class FrontEnd;

[Linear(3, 9)]
[Gelu]
[Linear(9, 4, Name = "head", Bias = false)]
[Softmax]
public partial class PerStepMlp;

[Recurrent(2, 5, Nonlinearity = Nonlinearity.Relu, Window = 16)]
[LeakyRelu(NegativeSlope = 0.2f)]
[Recurrent(5, 4, Cell = Cell.Lstm, Name = "top", Window = 16)]
[Elu(Alpha = 0.5f)]
[Sigmoid]
public partial class MixedStack;

// The FrontEnd stack with the PyTorch fixture's weights compiled in (an AdditionalFiles item of this project).
[Linear(2, 6, Name = "pre")]
[Tanh]
[Recurrent(6, 20, Cell = Cell.Lstm, NumLayers = 2, Name = "lstm", Window = 16, Weights = "stack/frontend.weights.safetensors")]
[Linear(20, 1, Name = "out")]
public partial class EmbeddedFrontEnd;

// The one-attribute head and the same network written as a two-layer stack: their tensors are named alike.
[Recurrent(2, 5, Cell = Cell.Gru, OutputSize = 3)]
public partial class HeadForm;

[Recurrent(2, 5, Cell = Cell.Gru)]
[Linear(5, 3)]
public partial class PairForm;

// Smooth everywhere (no ReLU kink), so that central differences are exact to second order: for the finite-difference oracle.
[Recurrent(2, 6, Cell = Cell.Gru, Name = "gru", Window = 12)]
[Linear(6, 5, Name = "fc1")]
[Gelu]
[Linear(5, 4, Name = "fc2", Bias = false)]
[Sigmoid]
[Recurrent(4, 3, Name = "rnn2", Window = 12)]
[Linear(3, 3, Name = "fc3")]
[Softmax]
public partial class SmoothStack;

// Residuals ([AddInput]): the guitar-amp trainers' shape (a recurrent layer, a Linear to the output, the input added),
// its twin without the residual, and a smooth stack with one residual inside and one at the end, for the finite-difference oracle.
[Recurrent(3, 6, Cell = Cell.Gru, Name = "rec", Window = 12)]
[Linear(6, 2, Name = "lin")]
[AddInput(2)]
public partial class ResidualAmp;

[Recurrent(3, 6, Cell = Cell.Gru, Name = "rec", Window = 12)]
[Linear(6, 2, Name = "lin")]
public partial class ResidualAmpWithoutResidual;

[Recurrent(3, 5, Cell = Cell.Lstm, Name = "rec", Window = 12)]
[Linear(5, 2, Name = "lin")]
[AddInput(2)]
[Tanh]
[Linear(2, 1, Name = "out")]
[AddInput(1)]
public partial class ResidualStack;
