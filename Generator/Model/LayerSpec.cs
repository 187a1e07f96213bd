using System.Globalization;
using Fixed.Generator.Shared;

namespace Fixed.Generator.Model;

/// <summary>What one layer attribute of a layer stack declares.</summary>
internal enum LayerKind
{
    Recurrent,
    Linear,
    Relu,
    LeakyRelu,
    Elu,
    Gelu,
    Tanh,
    Sigmoid,
    Softmax,
    AddInput,
}

/// <summary>
/// One layer of a layer stack as plain values. <see cref="InputSize"/> and <see cref="OutputSize"/> are its per-step
/// widths (an activation's are the previous layer's output); the recurrent fields are meaningful only for
/// <see cref="LayerKind.Recurrent"/>, <see cref="Argument"/> only for LeakyRelu (negative slope) and Elu (alpha). An
/// <see cref="LayerKind.AddInput"/> layer (a residual) adds the stack's first <see cref="OutputSize"/> input features to its input.
/// </summary>
internal sealed record LayerSpec(
    LayerKind Kind,
    string? Name,
    int InputSize,
    int OutputSize,
    int NumLayers,
    Cell Cell,
    bool Relu,
    bool Bias,
    int Window,
    float Argument,
    WeightPrecision WeightPrecision = WeightPrecision.Single,
    bool LearnInitialState = false,
    double Dropout = 0,
    int ProjSize = 0,
    bool Bidirectional = false,
    int Hidden = 0)
{
    // A recurrent layer's OutputSize is its width per step, what the next layer reads: Directions × HiddenOut. Hidden is
    // its hidden_size when that differs (ProjSize, Bidirectional); 0 means OutputSize.

    public bool IsRecurrent => Kind == LayerKind.Recurrent;

    public bool HasParameters => Kind is LayerKind.Recurrent or LayerKind.Linear;

    public int HiddenSize => IsRecurrent ? (Hidden > 0 ? Hidden : OutputSize) : 0;

    /// <summary>
    /// Whether the recurrent layer has a projection or two directions: it then runs on the runtime's <c>SequenceEngine</c>
    /// (reading its slice of <c>Parameters</c> in PyTorch's layout), and its sizes are <see cref="SequenceArithmetic"/>'s.
    /// </summary>
    public bool IsSequence => IsRecurrent && (ProjSize > 0 || Bidirectional);

    /// <summary>1, or 2 for a bidirectional layer.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Floats of h per direction: <c>ProjSize</c>, or the hidden size.</summary>
    public int HiddenOut => SequenceArithmetic.HiddenOut(HiddenSize, ProjSize);

    public int Gates => NetworkArithmetic.Gates(Cell);

    /// <summary>State floats of the recurrent layer: h (and c) per stacked layer (and direction).</summary>
    public long StateLength => !IsRecurrent ? 0
        : IsSequence ? SequenceArithmetic.StateLength(Cell, HiddenSize, ProjSize, Directions, NumLayers)
        : NetworkArithmetic.StateLength(Cell, HiddenSize, NumLayers);

    /// <summary>Floats of the recurrent layer's learned initial state (h0, and c0 for the LSTM), 0 unless <see cref="LearnInitialState"/>.</summary>
    public long LearnedStateLength => IsRecurrent && LearnInitialState ? StateLength : 0;

    /// <summary>A Linear layer's weight and bias; a recurrent layer's, as the runtime counts a headless network's.</summary>
    public long ParameterCount => Kind == LayerKind.Linear
        ? checked(((long)OutputSize * InputSize) + (Bias ? OutputSize : 0))
        : IsSequence ? SequenceArithmetic.ParameterCount(Cell, InputSize, HiddenSize, ProjSize, Directions, NumLayers, 0, Bias)
        : IsRecurrent ? NetworkArithmetic.ParameterCount(Cell, InputSize, HiddenSize, NumLayers, 0, Bias) : 0;

    /// <summary>Floats the recurrent layer's BPTT records per step: the runtime's tape stride of a headless network.</summary>
    public long TapeStride => IsSequence
        ? SequenceArithmetic.TapeStride(Cell, InputSize, HiddenSize, ProjSize, Directions, NumLayers, 0)
        : NetworkArithmetic.TapeStride(Cell, InputSize, HiddenSize, NumLayers, 0);

    /// <summary>The most stack bytes one step of the recurrent layer takes for its gate scratch, on any machine.</summary>
    public long ScratchBytes => !IsRecurrent ? 0
        : IsSequence ? System.Math.Max(NetworkArithmetic.WorstCaseScratchBytes(Cell, HiddenSize), SequenceArithmetic.ScratchLength(Cell, HiddenSize) * sizeof(float))
        : NetworkArithmetic.WorstCaseScratchBytes(Cell, HiddenSize);

    /// <summary>The attribute as written, for comments and messages: <c>[Linear(8, 12)]</c>.</summary>
    public string Display => Kind switch
    {
        LayerKind.Recurrent => "[Recurrent(" + Int(InputSize) + ", " + Int(HiddenSize) + (ProjSize > 0 ? ", ProjSize = " + Int(ProjSize) : string.Empty) +
            (Bidirectional ? ", Bidirectional = true" : string.Empty) + ")]",
        LayerKind.Linear => "[Linear(" + Int(InputSize) + ", " + Int(OutputSize) + ")]",
        LayerKind.AddInput => "[AddInput(" + Int(OutputSize) + ")]",
        _ => "[" + Kind + "]",
    };

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
