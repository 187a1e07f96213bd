using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace Fixed.Benchmarks.Reporting;

/// <summary>
/// The RTNeural comparison of this run (<c>rtneural.csv</c> and <c>rtneural-info.csv</c>, written by
/// <c>scripts/bench/rtneural.sh</c> into the report folder, which <c>report.sh</c> empties first): per network, the
/// rounds of our <c>Step</c> and of RTNeural's <c>forward</c>, each one run of the same number of steps, alternated on one core.
/// </summary>
public sealed class RtNeuralResults
{
    private readonly IReadOnlyList<IReadOnlyDictionary<string, string>> _rows;

    private RtNeuralResults(IReadOnlyList<IReadOnlyDictionary<string, string>> rows, IReadOnlyDictionary<string, string> info)
    {
        _rows = rows;
        Info = info;
    }

    /// <summary>RTNeural's commit, the compiler, flags, Eigen version, core, runs and steps.</summary>
    public IReadOnlyDictionary<string, string> Info { get; }

    /// <summary>This run's comparison from <paramref name="output"/>, or null when RTNeural was not run.</summary>
    public static RtNeuralResults? Load(string output)
    {
        string path = Path.Combine(output, "rtneural.csv");
        if (!File.Exists(path))
        {
            return null;
        }

        IReadOnlyList<IReadOnlyDictionary<string, string>> rows = SimpleCsv.Read(path);
        IReadOnlyList<IReadOnlyDictionary<string, string>> info = SimpleCsv.Read(Path.Combine(output, "rtneural-info.csv"));
        if (rows.Count == 0 || info.Count != 1)
        {
            throw new ArgumentException($"{path} has no rows, or rtneural-info.csv beside it is missing: rerun scripts/bench/rtneural.sh.");
        }

        return new RtNeuralResults(rows, info[0]);
    }

    /// <summary>The median ns per step of <paramref name="implementation"/> (<c>fixed</c> or <c>rtneural</c>) on <paramref name="key"/>, or null.</summary>
    public double? Median(string key, string implementation)
    {
        double[] values = Values(key, implementation);
        return values.Length == 0 ? null : Statistics.Median(values);
    }

    /// <summary>The number of runs of <paramref name="implementation"/> on <paramref name="key"/>.</summary>
    public int Runs(string key, string implementation) => Values(key, implementation).Length;

    /// <summary>The largest |RTNeural − ours| over the check steps that the harness printed for <paramref name="key"/>, or null.</summary>
    public double? MaxDifference(string key)
    {
        double[] values = [.. _rows.Where(r => Is(r, "key", key) && Is(r, "implementation", "rtneural")).Select(r => Number(r, "max_abs_diff")).OfType<double>()];
        return values.Length == 0 ? null : values.Max();
    }

    /// <summary>A column of <see cref="Info"/>, or empty.</summary>
    public string Get(string name) => Info.TryGetValue(name, out string? value) ? value : string.Empty;

    private double[] Values(string key, string implementation) =>
        [.. _rows.Where(r => Is(r, "key", key) && Is(r, "implementation", implementation)).Select(r => Number(r, "ns_per_step")).OfType<double>()];

    private static bool Is(IReadOnlyDictionary<string, string> row, string name, string value) =>
        row.TryGetValue(name, out string? actual) && actual == value;

    private static double? Number(IReadOnlyDictionary<string, string> row, string name) =>
        row.TryGetValue(name, out string? text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;
}
