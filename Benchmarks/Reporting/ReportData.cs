using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Reporting;

/// <summary>Everything one report run measured, with lookups by suite, implementation and network.</summary>
public sealed record ReportData(
    BenchResults Bench,
    IReadOnlyList<IReadOnlyDictionary<string, string>> TimedRows,
    IReadOnlyList<IReadOnlyDictionary<string, string>> PyTorchRows,
    IReadOnlyList<IReadOnlyDictionary<string, string>> Latency)
{
    /// <summary>The per-call median (ns) of the <c>timed</c> command, or null.</summary>
    public double? Timed(string suite, string implementation, NetworkId network) =>
        Number(TimedRows.FirstOrDefault(r => Is(r, "suite", suite) && Is(r, "implementation", implementation) && Is(r, "key", network.Key)), "median_ns");

    /// <summary>The PyTorch script's median (ns) of <paramref name="kind"/> (step or train), or null.</summary>
    public double? PyTorch(string kind, NetworkId network) =>
        Number(PyTorchRows.FirstOrDefault(r => Is(r, "kind", kind) && Is(r, "network", network.Key)), "median_ns");

    private static bool Is(IReadOnlyDictionary<string, string> row, string name, string value) =>
        row.TryGetValue(name, out string? actual) && actual == value;

    private static double? Number(IReadOnlyDictionary<string, string>? row, string name) =>
        row is not null && row.TryGetValue(name, out string? text)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : null;
}
