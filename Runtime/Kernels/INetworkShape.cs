using System.ComponentModel;

namespace Fixed.Engine;

/// <summary>
/// The compile-time shape of a generated network. The generator emits one <c>struct</c> per model that
/// implements it with constant-returning static members; the engine is generic over it, so the JIT
/// specialises every kernel for that shape (sizes fold to constants, dead cell branches vanish), much as
/// a C++ template would. Not meant to be implemented by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface INetworkShape
{
    /// <summary>Features per step.</summary>
    static abstract int InputSize { get; }

    /// <summary>Hidden units per layer.</summary>
    static abstract int HiddenSize { get; }

    /// <summary>Stacked layers.</summary>
    static abstract int NumLayers { get; }

    /// <summary>
    /// The attribute's <c>OutputSize</c>: the size of the Linear head, 0 when there is none (the model's own
    /// <c>OutputSize</c> constant is then the hidden size, which <c>Shape&lt;TShape&gt;.O</c> gives).
    /// </summary>
    static abstract int OutputSize { get; }

    /// <summary>The cell.</summary>
    static abstract Cell Cell { get; }

    /// <summary>The RNN activation.</summary>
    static abstract Nonlinearity Nonlinearity { get; }

    /// <summary>Whether the recurrent layers have biases.</summary>
    static abstract bool Bias { get; }

    /// <summary>The longest sequence one Backward call accepts.</summary>
    static abstract int Window { get; }

    /// <summary>
    /// How the packed weight matrices are stored (<see cref="Fixed.WeightPrecision"/>). Generated shapes override it only
    /// when the attribute asks for a reduced precision, so that every other model's generated code is unchanged.
    /// </summary>
    static virtual WeightPrecision WeightPrecision => WeightPrecision.Single;

    /// <summary>
    /// PyTorch's <c>proj_size</c> (LSTM): h has this many units, <c>h = W_hr (o ⊙ tanh c)</c>; 0 (the default) for none.
    /// A shape with a projection runs on <see cref="SequenceEngine{TShape}"/>, never on <see cref="RecurrentEngine{TShape}"/>.
    /// </summary>
    static virtual int ProjSize => 0;

    /// <summary>
    /// PyTorch's <c>bidirectional</c>: each layer also runs backwards over the sequence. Such a shape runs on
    /// <see cref="SequenceEngine{TShape}"/>, never on <see cref="RecurrentEngine{TShape}"/>.
    /// </summary>
    static virtual bool Bidirectional => false;

    /// <summary>
    /// PyTorch's <c>dropout</c>: the probability with which each unit of a layer's output is zeroed on its way into the layer
    /// above, in <c>Backward</c> only (<see cref="DropoutMask"/>); 0 (the default) for none, so that every other model's
    /// generated code is unchanged.
    /// </summary>
    static virtual double Dropout => 0;
}

/// <summary>
/// Marks a generated shape whose hidden size is 16 or more: a whole 512-bit vector of units, so the engine's straight step
/// runs at 16 lanes where AVX-512 is accelerated and at 8 where only AVX2 is (the width <c>PackedLayout</c> picks).
/// </summary>
/// <remarks>
/// Why a marker and not a test of <see cref="INetworkShape.HiddenSize"/>: the engine chooses its 512- or 256-bit code in a
/// method the JIT inlines, and it compiles only the branch taken if the choice is a constant as the method is imported. A
/// type test on a struct (<c>default(TShape) is IWideShape</c>) is one, in the JIT and in NativeAOT's compiler alike; a test
/// of a static member's value is one only once that member has been inlined, which the JIT does in time and NativeAOT's
/// compiler does not: there both widths' code was compiled, the method ran out of the locals it may inline, and the head
/// after the layer was left with calls (seen in the <c>x86-64-v4</c> listing of <c>Step</c>).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IWideShape : INetworkShape
{
}

/// <summary>
/// Marks a generated shape whose hidden size is below 16: at most 8 lanes (AVX2), never a 512-bit vector
/// (<see cref="IWideShape"/> says why the engine needs to know this as a type).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface INarrowShape : INetworkShape
{
}
