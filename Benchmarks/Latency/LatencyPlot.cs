using System;
using System.Linq;
using ScottPlot;

namespace Fixed.Benchmarks.Latency;

/// <summary>A PNG histogram of one latency run (up to its 99.9th percentile; the tail beyond is counted in the title).</summary>
public static class LatencyPlot
{
    /// <summary>Writes the histogram of <paramref name="result"/> to <paramref name="path"/>.</summary>
    public static void Save(LatencyResult result, string path)
    {
        double low = Math.Floor(result.Samples.Min());
        double high = Math.Ceiling(result.P999) + 1;
        int bins = (int)Math.Clamp(high - low, 20, 200);
        var histogram = ScottPlot.Statistics.Histogram.WithBinCount(bins, low, high);
        histogram.AddRange(result.Samples.Where(s => s < high));

        var plot = new Plot();
        var bars = plot.Add.Bars(histogram.Bins, histogram.Counts);
        foreach (Bar bar in bars.Bars)
        {
            bar.Size = (high - low) / bins;
            bar.LineWidth = 0;
        }

        AddMarker(plot, result.P50, "p50", Colors.Green);
        AddMarker(plot, result.P99, "p99", Colors.Orange);
        AddMarker(plot, result.P999, "p99.9", Colors.Red);
        plot.Axes.Margins(bottom: 0);
        plot.Title($"{result.Network.Display} Step latency, {result.Steps:N0} timed calls (max {result.Max:N0} ns, GCs {result.Collections})");
        plot.XLabel("ns per call (includes ~" + result.TimerOverheadP50.ToString("F0", System.Globalization.CultureInfo.InvariantCulture) + " ns of timer reads)");
        plot.YLabel("calls");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 800, 450);
    }

    private static void AddMarker(Plot plot, double x, string label, Color color)
    {
        var line = plot.Add.VerticalLine(x);
        line.Color = color;
        line.LegendText = FormattableString.Invariant($"{label} {x:F0} ns");
    }
}
