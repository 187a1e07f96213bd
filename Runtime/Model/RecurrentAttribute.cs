using System;

namespace Fixed;

/// <summary>
/// Declares a fixed-size recurrent network on a <c>partial class</c>; the Fixed source generator emits
/// its inference and training code. Named properties default to PyTorch's defaults.
/// </summary>
/// <remarks>
/// Several layer attributes on one class (<see cref="RecurrentAttribute"/>, <see cref="LinearAttribute"/> and the
/// activation attributes such as <see cref="ReluAttribute"/>) make a layer stack, run in source order as
/// <c>nn.Sequential</c> would: each layer's per-step output feeds the next.
/// </remarks>
/// <example><code>[Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1)] public partial class RnnRegression;</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RecurrentAttribute : Attribute
{
    /// <summary>Declares a network with <paramref name="inputSize"/> features per step and <paramref name="hiddenSize"/> hidden units per layer.</summary>
    public RecurrentAttribute(int inputSize, int hiddenSize)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
    }

    /// <summary>Features per time step (PyTorch's <c>input_size</c>).</summary>
    public int InputSize { get; }

    /// <summary>Hidden units per layer (PyTorch's <c>hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers (PyTorch's <c>num_layers</c>); default 1.</summary>
    public int NumLayers { get; set; } = 1;

    /// <summary>The cell; default <see cref="Fixed.Cell.Rnn"/>.</summary>
    public Cell Cell { get; set; } = Cell.Rnn;

    /// <summary>The activation of an RNN cell; default <see cref="Nonlinearity.Tanh"/>. Other cells accept only Tanh.</summary>
    public Nonlinearity Nonlinearity { get; set; } = Nonlinearity.Tanh;

    /// <summary>Whether the recurrent layers have biases (PyTorch's <c>bias</c>); default true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Outputs of a <c>nn.Linear(hidden, OutputSize)</c> head applied at every step; 0 (the default) means no head.</summary>
    public int OutputSize { get; set; }

    /// <summary>The longest sequence one <c>Backward</c> call accepts; sizes the BPTT tape. Default 64.</summary>
    public int Window { get; set; } = 64;

    /// <summary>A safetensors file listed in <c>AdditionalFiles</c> whose weights are compiled into the assembly.</summary>
    public string? Weights { get; set; }

    /// <summary>
    /// The layer's <c>state_dict</c> prefix (its attribute name in a PyTorch module); default <c>"rnn"</c>. In a layer
    /// stack every layer needs its own name.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// How the recurrent layers' weight matrices are stored for computing; default <see cref="Fixed.WeightPrecision.Single"/>
    /// (fp32, exact to PyTorch). <see cref="Fixed.WeightPrecision.BFloat16"/> halves the bytes every step reads, for
    /// networks whose weights do not fit the L1 cache; <c>Parameters</c> stays fp32 (see docs/precision.md for what it
    /// costs in accuracy and what it does to training).
    /// </summary>
    public WeightPrecision WeightPrecision { get; set; } = WeightPrecision.Single;

    /// <summary>
    /// PyTorch's <c>proj_size</c> (LSTM only): each layer's h is projected to this many units, <c>h = W_hr (o ⊙ tanh c)</c>
    /// with a tensor <c>weight_hr_l{k}</c> of shape <c>[ProjSize, HiddenSize]</c>; h feeds the next layer, the recurrence and
    /// the head. 0 (the default) for none; otherwise at least 1 and below <c>hiddenSize</c>, as PyTorch requires.
    /// </summary>
    public int ProjSize { get; set; }

    /// <summary>
    /// PyTorch's <c>bidirectional</c>: each layer also runs backwards over the sequence (tensors <c>*_reverse</c>), each
    /// step's output is <c>[forward, reverse]</c> and the next layer and the head read both. Such a model needs whole
    /// sequences: it has <c>Forward</c> and <c>Backward</c> but no <c>Step</c> or <c>WarmUp</c>, and implements
    /// <see cref="IParameters"/> but not <c>IRecurrentModel</c> (see docs/bidirectional.md). Default false.
    /// </summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// Whether the initial state is learned: trainable tensors <c>{Name}.h0</c> (and <c>{Name}.c0</c> for the LSTM), shape
    /// <c>[NumLayers, hiddenSize]</c>, after every weight in <c>Parameters</c>, start at zero. The batched <c>Backward</c>
    /// starts every sequence from them and trains them; <c>InitialState()</c> returns a state filled from them;
    /// <c>default(State)</c> stays the zero state. Default false (PyTorch's <c>h0 = 0</c>). See docs/initial-state.md.
    /// </summary>
    public bool LearnInitialState { get; set; }

    /// <summary>
    /// PyTorch's <c>dropout</c>: in <c>Backward</c> (training) each unit of every layer's output but the last is zeroed with this
    /// probability on its way into the layer above, and kept units are scaled by <c>1 / (1 - Dropout)</c> (inverted dropout,
    /// as PyTorch's). <c>Step</c>, <c>Forward</c>, <c>WarmUp</c> and <c>Evaluate</c> run as PyTorch's eval mode, without it.
    /// The masks come from the generated <c>DropoutSeed</c>: reproducible. In [0, 1); needs <c>NumLayers</c> of 2 or more to
    /// have an effect. Default 0 (none). See docs/dropout.md.
    /// </summary>
    public double Dropout { get; set; }
}
