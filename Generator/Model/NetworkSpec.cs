using System.Linq;

namespace Fixed.Generator.Model;

/// <summary>The recurrent cell, mirroring <c>Fixed.Cell</c> (the generator cannot reference the runtime).</summary>
internal enum CellKind
{
    Rnn = 0,
    Gru = 1,
    Lstm = 2,
}

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
    CellKind Cell,
    bool Relu,
    bool Bias,
    int OutputSize,
    int Window,
    string? Weights,
    EquatableArray<LayerSpec> Layers = default)
{
    /// <summary>
    /// Whether the class is a layer stack (several layer attributes, a <c>Linear</c> or an activation, or a named
    /// <c>Recurrent</c>): its layers are <see cref="Layers"/>, and the single-layer fields above summarise it (InputSize
    /// the first layer's, OutputSize the last's, HiddenSize/Cell the last recurrent layer's, NumLayers every recurrent layer).
    /// </summary>
    public bool IsStack => Layers.Count > 0;

    public int Gates => Cell switch { CellKind.Gru => 3, CellKind.Lstm => 4, _ => 1 };

    public int EffectiveOutputSize => OutputSize > 0 ? OutputSize : HiddenSize;

    // The totals below are computed checked: the Parser builds a spec from unvalidated sizes, where a product of
    // four ints can overflow even a long, and it counts an OverflowException as "over the limit".

    public long StatePerLayer => Cell == CellKind.Lstm ? 2L * HiddenSize : HiddenSize;

    public long StateLength => IsStack ? Layers.Sum(l => l.StateLength) : checked(NumLayers * StatePerLayer);

    public long LayerParameters(int layer)
    {
        checked
        {
            long gh = (long)Gates * HiddenSize;
            long input = layer == 0 ? InputSize : HiddenSize;
            return gh * (input + HiddenSize) + (Bias ? 2 * gh : 0);
        }
    }

    public long ParameterCount
    {
        get
        {
            checked
            {
                if (IsStack)
                {
                    long total = 0;
                    foreach (LayerSpec layer in Layers)
                    {
                        total += layer.ParameterCount;
                    }

                    return total;
                }

                long count = LayerParameters(0) + (NumLayers - 1) * LayerParameters(1);
                return count + (OutputSize > 0 ? (long)OutputSize * (HiddenSize + 1L) : 0);
            }
        }
    }

    /// <summary>Floats recorded per step for BPTT; mirrors <c>Shape&lt;TShape&gt;.TapeStride</c> in the runtime.</summary>
    public long TapeStride
    {
        get
        {
            checked
            {
                if (IsStack)
                {
                    return Layers.Where(l => l.IsRecurrent).Select(l => l.TapeStride).DefaultIfEmpty(0).Max();
                }

                long gh = (long)Gates * HiddenSize;
                long extra = Cell == CellKind.Rnn ? 0 : HiddenSize;
                long perLayer = StatePerLayer + gh + extra;
                return InputSize + perLayer + (NumLayers - 1) * (HiddenSize + perLayer) + HiddenSize + (long)EffectiveOutputSize;
            }
        }
    }

    /// <summary>The C# name with namespace and containing types, e.g. <c>Demo.Sensors.ImuClassifier</c>.</summary>
    public string FullName =>
        (Namespace is null ? string.Empty : Namespace + ".") + string.Concat(ContainingTypes.Select(t => t.Name + ".")) + ClassName;
}
