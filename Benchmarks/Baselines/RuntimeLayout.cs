using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Baselines;

/// <summary>
/// Offsets into the flat PyTorch state_dict of <c>nn.RNN/GRU/LSTM(I, H) + nn.Linear(H, 1)</c>, known only at run
/// time: weight_ih <c>[G·H, I]</c>, weight_hh <c>[G·H, H]</c>, bias_ih, bias_hh, linear.weight <c>[1, H]</c>, linear.bias.
/// </summary>
public sealed class RuntimeLayout
{
    /// <summary>Builds the layout of <paramref name="network"/>.</summary>
    public RuntimeLayout(NetworkId network, int window)
    {
        Network = network;
        Cell = network.Cell;
        I = network.Input;
        H = network.Hidden;
        GH = network.Gates * H;
        Window = window;
        WeightHh = GH * I;
        BiasIh = WeightHh + GH * H;
        BiasHh = BiasIh + GH;
        HeadWeight = BiasHh + GH;
        HeadBias = HeadWeight + H;
        ParameterCount = HeadBias + 1;
        StateLength = Cell == Cell.Lstm ? 2 * H : H;
    }

    /// <summary>The network.</summary>
    public NetworkId Network { get; }

    /// <summary>The cell.</summary>
    public Cell Cell { get; }

    /// <summary>Input size.</summary>
    public int I { get; }

    /// <summary>Hidden size.</summary>
    public int H { get; }

    /// <summary>Gate rows: gates × H.</summary>
    public int GH { get; }

    /// <summary>The longest sequence Backward accepts.</summary>
    public int Window { get; }

    /// <summary>Offset of weight_hh (weight_ih is at 0).</summary>
    public int WeightHh { get; }

    /// <summary>Offset of bias_ih.</summary>
    public int BiasIh { get; }

    /// <summary>Offset of bias_hh.</summary>
    public int BiasHh { get; }

    /// <summary>Offset of linear.weight.</summary>
    public int HeadWeight { get; }

    /// <summary>Offset of linear.bias.</summary>
    public int HeadBias { get; }

    /// <summary>Every parameter.</summary>
    public int ParameterCount { get; }

    /// <summary>h, and c for the LSTM.</summary>
    public int StateLength { get; }
}
