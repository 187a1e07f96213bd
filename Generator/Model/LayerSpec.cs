using System.Globalization;

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
}

/// <summary>
/// One layer of a layer stack as plain values. <see cref="InputSize"/> and <see cref="OutputSize"/> are its per-step
/// widths (an activation's are the previous layer's output); the recurrent fields are meaningful only for
/// <see cref="LayerKind.Recurrent"/>, <see cref="Argument"/> only for LeakyRelu (negative slope) and Elu (alpha).
/// </summary>
internal sealed record LayerSpec(
    LayerKind Kind,
    string? Name,
    int InputSize,
    int OutputSize,
    int NumLayers,
    CellKind Cell,
    bool Relu,
    bool Bias,
    int Window,
    float Argument)
{
    public bool IsRecurrent => Kind == LayerKind.Recurrent;

    public bool HasParameters => Kind is LayerKind.Recurrent or LayerKind.Linear;

    public int HiddenSize => IsRecurrent ? OutputSize : 0;

    public int Gates => Cell switch { CellKind.Gru => 3, CellKind.Lstm => 4, _ => 1 };

    /// <summary>State floats of the recurrent layer: h (and c) per stacked layer.</summary>
    public long StateLength => IsRecurrent ? checked((long)NumLayers * (Cell == CellKind.Lstm ? 2L : 1L) * HiddenSize) : 0;

    public long ParameterCount
    {
        get
        {
            checked
            {
                if (Kind == LayerKind.Linear)
                {
                    return (long)OutputSize * InputSize + (Bias ? OutputSize : 0);
                }

                if (!IsRecurrent)
                {
                    return 0;
                }

                long gh = (long)Gates * HiddenSize;
                long first = gh * (InputSize + HiddenSize) + (Bias ? 2 * gh : 0);
                long rest = gh * (HiddenSize + HiddenSize) + (Bias ? 2 * gh : 0);
                return first + (NumLayers - 1) * rest;
            }
        }
    }

    /// <summary>Floats the recurrent layer's BPTT records per step (mirrors the runtime's tape stride for a headless layer).</summary>
    public long TapeStride
    {
        get
        {
            checked
            {
                long gh = (long)Gates * HiddenSize;
                long extra = Cell == CellKind.Rnn ? 0 : HiddenSize;
                long perLayer = (Cell == CellKind.Lstm ? 2L : 1L) * HiddenSize + gh + extra;
                return InputSize + perLayer + (NumLayers - 1) * (HiddenSize + perLayer) + HiddenSize + HiddenSize;
            }
        }
    }

    /// <summary>The attribute as written, for comments and messages: <c>[Linear(8, 12)]</c>.</summary>
    public string Display => Kind switch
    {
        LayerKind.Recurrent => "[Recurrent(" + Int(InputSize) + ", " + Int(OutputSize) + ")]",
        LayerKind.Linear => "[Linear(" + Int(InputSize) + ", " + Int(OutputSize) + ")]",
        _ => "[" + Kind + "]",
    };

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
