using System.Linq;
using Fixed.Generator.Shared;

namespace Fixed.Generator.Model;

/// <summary>A type that contains the model's class, from the outside in, e.g. <c>partial struct Outer</c>.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>
/// Everything the emitter needs to write one model, as plain values: no symbols or syntax survive past the
/// first pipeline step, so an edit that does not change these values leaves the output cached.
/// </summary>
internal sealed record NetworkSpec(
    string? Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string ClassName,
    int InputSize,
    int HiddenSize,
    int NumLayers,
    Cell Cell,
    bool Relu,
    bool Bias,
    int OutputSize,
    int Window,
    string? Weights,
    EquatableArray<LayerSpec> Layers = default,
    WeightPrecision WeightPrecision = WeightPrecision.Single,
    string? ModelFile = null,
    int ProjSize = 0,
    bool Bidirectional = false,
    bool LearnInitialState = false,
    int SampleRate = 0,
    bool DeclaresSampleRate = false,
    double Dropout = 0)
{
    // SampleRate: a [ModelFile] class's samples per second when its file gives them (a .nam file), emitted as a constant; 0
    // for every other class. DeclaresSampleRate: the class (or a base) has a member of that name, which the constant would
    // clash with: known to matter only once the file is read, so the Parser records it and the resolver reports it.

    /// <summary>
    /// Whether the network has a projection (<c>ProjSize</c>) or two directions: it then runs on the runtime's
    /// <c>SequenceEngine</c>, and its sizes are <see cref="SequenceArithmetic"/>'s.
    /// </summary>
    public bool IsSequence => ProjSize > 0 || Bidirectional;

    /// <summary>1, or 2 for a bidirectional network.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Floats of h per direction: <c>ProjSize</c>, or the hidden size.</summary>
    public int HiddenOut => SequenceArithmetic.HiddenOut(HiddenSize, ProjSize);

    /// <summary>
    /// Whether the class is a layer stack (several layer attributes, a <c>Linear</c> or an activation, or a named
    /// <c>Recurrent</c>): its layers are <see cref="Layers"/>, and the single-layer fields above summarise it (InputSize
    /// the first layer's, OutputSize the last's, HiddenSize/Cell the last recurrent layer's, NumLayers every recurrent layer).
    /// </summary>
    public bool IsStack => Layers.Count > 0;

    /// <summary>
    /// Whether the network runs on whole sequences only (a bidirectional network, or a stack with a bidirectional layer):
    /// no <c>Step</c>, <c>WarmUp</c> or many-stream members, and <c>IParameters</c> rather than <c>IRecurrentModel</c>.
    /// </summary>
    public bool WholeSequences => IsStack ? Layers.Any(l => l.Bidirectional) : Bidirectional;

    public int Gates => NetworkArithmetic.Gates(Cell);

    public int EffectiveOutputSize => IsSequence
        ? (int)SequenceArithmetic.Outputs(HiddenSize, ProjSize, Directions, OutputSize)
        : NetworkArithmetic.Outputs(HiddenSize, OutputSize);

    // The sizes are the runtime's own arithmetic (NetworkArithmetic, shared with Shape<TShape>/PackedLayout<TShape>),
    // computed checked: the Parser builds a spec from unvalidated sizes, where a product of four ints can overflow even
    // a long, and it counts an OverflowException as "over the limit". A stack sums (or takes the widest of) its layers'.

    public long StatePerLayer => IsSequence
        ? Directions * SequenceArithmetic.StatePerDirection(Cell, HiddenSize, ProjSize)
        : NetworkArithmetic.StatePerLayer(Cell, HiddenSize);

    public long StateLength => IsStack ? Layers.Sum(l => l.StateLength)
        : IsSequence ? SequenceArithmetic.StateLength(Cell, HiddenSize, ProjSize, Directions, NumLayers)
        : NetworkArithmetic.StateLength(Cell, HiddenSize, NumLayers);

    public long ParameterCount => IsStack
        ? Layers.Aggregate(0L, (total, layer) => checked(total + layer.ParameterCount + layer.LearnedStateLength))
        : checked(WeightCount + (LearnInitialState ? StateLength : 0));

    /// <summary>
    /// A single model's weights and biases, head included: what its engine reads. A learned initial state
    /// (<see cref="LearnInitialState"/>: h0, and c0 for the LSTM, <see cref="StateLength"/> floats) follows them in
    /// <c>Parameters</c>, from this offset.
    /// </summary>
    public long WeightCount => IsSequence
        ? SequenceArithmetic.ParameterCount(Cell, InputSize, HiddenSize, ProjSize, Directions, NumLayers, OutputSize, Bias)
        : NetworkArithmetic.ParameterCount(Cell, InputSize, HiddenSize, NumLayers, OutputSize, Bias);

    /// <summary>Whether any layer learns its initial state (a single model's <see cref="LearnInitialState"/>, or a stack layer's).</summary>
    public bool LearnsInitialState => IsStack ? Layers.Any(l => l.LearnedStateLength > 0) : LearnInitialState;

    /// <summary>Floats recorded per step for BPTT: the runtime's <c>Shape&lt;TShape&gt;.TapeStride</c> (a stack's widest recurrent layer's).</summary>
    public long TapeStride => IsStack
        ? Layers.Where(l => l.IsRecurrent).Select(l => l.TapeStride).DefaultIfEmpty(0).Max()
        : IsSequence ? SequenceArithmetic.TapeStride(Cell, InputSize, HiddenSize, ProjSize, Directions, NumLayers, OutputSize)
        : NetworkArithmetic.TapeStride(Cell, InputSize, HiddenSize, NumLayers, OutputSize);

    /// <summary>
    /// The most stack bytes one step's gate scratch takes on any machine: the runtime's <c>PackedLayout&lt;TShape&gt;.ScratchLength</c>
    /// at 16 lanes, plus its cache-line slack (a stack's widest recurrent layer's).
    /// </summary>
    public long ScratchBytes => IsStack
        ? Layers.Where(l => l.IsRecurrent).Select(l => l.ScratchBytes).DefaultIfEmpty(0).Max()
        : IsSequence
            ? System.Math.Max(NetworkArithmetic.WorstCaseScratchBytes(Cell, HiddenSize), SequenceArithmetic.ScratchLength(Cell, HiddenSize) * sizeof(float))
            : NetworkArithmetic.WorstCaseScratchBytes(Cell, HiddenSize);

    /// <summary>The C# name with namespace and containing types, e.g. <c>Demo.Sensors.ImuClassifier</c>.</summary>
    public string FullName =>
        (Namespace is null ? string.Empty : Namespace + ".") + string.Concat(ContainingTypes.Select(t => t.Name + ".")) + ClassName;
}
