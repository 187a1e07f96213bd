using System;
using System.Collections.Generic;
using System.Linq;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Comparison;

// The two networks of the RTNeural comparison that the grid does not have (the others are the grid's own models).

/// <summary>GRU with three inputs (sin, cos, a second sine), 32 units, Linear(32, 1).</summary>
[Recurrent(3, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public sealed partial class Gru3To32;

/// <summary>Two stacked GRU layers of 32 units (<c>nn.GRU(1, 32, num_layers=2)</c>), Linear(32, 1).</summary>
[Recurrent(1, 32, Cell = Cell.Gru, NumLayers = 2, OutputSize = 1, Window = 32)]
public sealed partial class Gru1To32x2;

/// <summary>One network of the RTNeural comparison: its key (CSV, command line, harness), table name and shape.</summary>
public sealed record ComparisonNetwork(string Key, string Display, Cell Cell, int Input, int Hidden, int Layers)
{
    /// <summary>The grid network this is, if it is one (one layer, input 1), for the target table.</summary>
    public NetworkId? GridNetwork => Layers == 1 && Input == 1 ? new NetworkId(Cell, Input, Hidden) : null;

    /// <summary>The input at step <paramref name="t"/> (from 0): sin(0.01 t), then cos(0.01 t) and sin(0.02 t) for three inputs.</summary>
    public static void InputAt(int t, Span<float> x)
    {
        x[0] = (float)Math.Sin(0.01 * t);
        if (x.Length > 1)
        {
            x[1] = (float)Math.Cos(0.01 * t);
            x[2] = (float)Math.Sin(0.02 * t);
        }
    }

    /// <summary>The networks, in table order. The C++ harness (<c>Benchmarks/rtneural/harness.cpp</c>) has the same keys.</summary>
    public static readonly IReadOnlyList<ComparisonNetwork> All =
    [
        new("gru8", "GRU 1→8", Cell.Gru, 1, 8, 1),
        new("gru32", "GRU 1→32", Cell.Gru, 1, 32, 1),
        new("gru64", "GRU 1→64", Cell.Gru, 1, 64, 1),
        new("gru3x32", "GRU 3→32", Cell.Gru, 3, 32, 1),
        new("lstm32", "LSTM 1→32", Cell.Lstm, 1, 32, 1),
        new("lstm64", "LSTM 1→64", Cell.Lstm, 1, 64, 1),
        new("gru32l2", "GRU 1→32→32 (2 layers)", Cell.Gru, 1, 32, 2),
        new("gru64bf16", "GRU 1→64, bf16 weights", Cell.Gru, 1, 64, 1),
        new("lstm64bf16", "LSTM 1→64, bf16 weights", Cell.Lstm, 1, 64, 1),
    ];

    /// <summary>The network named <paramref name="key"/>.</summary>
    public static ComparisonNetwork Parse(string key) =>
        All.FirstOrDefault(n => n.Key == key.Trim().ToLowerInvariant())
        ?? throw new ArgumentException($"Unknown comparison network '{key}'. Use one of {string.Join(", ", All.Select(n => n.Key))}.", nameof(key));
}
