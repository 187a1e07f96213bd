using System;
using System.Collections.Generic;
using System.Globalization;

namespace Fixed.Benchmarks.Models;

/// <summary>One network of the grid: cell, input size and hidden size (one layer, a Linear head of size 1).</summary>
public readonly record struct NetworkId(Cell Cell, int Input, int Hidden)
{
    /// <summary>The hidden sizes of the grid.</summary>
    public static readonly int[] HiddenSizes = [8, 16, 32, 64, 128];

    /// <summary>The input sizes of the grid.</summary>
    public static readonly int[] InputSizes = [1, 8];

    /// <summary>
    /// The six networks of the target table (batch 1, input 1) with the project's target, ns per step. Only targets:
    /// no other implementation's time is written here, the report compares what it measured in one run.
    /// </summary>
    public static readonly IReadOnlyList<(NetworkId Network, double TargetNs)> Targets =
    [
        (new(Cell.Gru, 1, 8), 40),
        (new(Cell.Gru, 1, 32), 80),
        (new(Cell.Gru, 1, 64), 260),
        (new(Cell.Lstm, 1, 32), 100),
        (new(Cell.Lstm, 1, 64), 340),
        (new(Cell.Rnn, 1, 32), 25),
    ];

    /// <summary>Every network of the grid, cell-major, then input, then hidden.</summary>
    public static IEnumerable<NetworkId> All
    {
        get
        {
            foreach (Cell cell in new[] { Cell.Rnn, Cell.Gru, Cell.Lstm })
            {
                foreach (int input in InputSizes)
                {
                    foreach (int hidden in HiddenSizes)
                    {
                        yield return new NetworkId(cell, input, hidden);
                    }
                }
            }
        }
    }

    /// <summary>Gate rows per hidden unit.</summary>
    public int Gates => Cell switch { Cell.Gru => 3, Cell.Lstm => 4, _ => 1 };

    /// <summary>Short command-line name: <c>gru32</c> for input 1, <c>gru8x32</c> otherwise.</summary>
    public string Key => Input == 1
        ? string.Create(CultureInfo.InvariantCulture, $"{Cell.ToString().ToLowerInvariant()}{Hidden}")
        : string.Create(CultureInfo.InvariantCulture, $"{Cell.ToString().ToLowerInvariant()}{Input}x{Hidden}");

    /// <summary>The file name stem used for ONNX exports: <c>gru_1_32</c>.</summary>
    public string FileStem => string.Create(CultureInfo.InvariantCulture, $"{Cell.ToString().ToLowerInvariant()}_{Input}_{Hidden}");

    /// <summary>For tables: <c>GRU 1→32</c> (RNN is tanh).</summary>
    public string Display => string.Create(CultureInfo.InvariantCulture, $"{Cell.ToString().ToUpperInvariant()}{(Cell == Cell.Rnn ? " tanh" : string.Empty)} {Input}→{Hidden}");

    /// <summary>Parses <see cref="Key"/> (also accepts <c>gru1x32</c>).</summary>
    public static NetworkId Parse(string key)
    {
        string text = key.Trim().ToLowerInvariant();
        foreach (NetworkId id in All)
        {
            if (id.Key == text || string.Create(CultureInfo.InvariantCulture, $"{id.Cell.ToString().ToLowerInvariant()}{id.Input}x{id.Hidden}") == text)
            {
                return id;
            }
        }

        throw new ArgumentException($"Unknown network '{key}'. Use e.g. gru32, lstm64, rnn8x16 (cell, optional input size and 'x', hidden size).", nameof(key));
    }

    /// <inheritdoc />
    public override string ToString() => Key;
}
