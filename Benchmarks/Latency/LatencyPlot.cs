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
        // Bins no narrower than the clock's granularity, or every other bin would be empty.
        double width = Math.Max(1, result.TimerResolution);
        double low = Math.Floor(result.Samples.Min() / width) * width - width / 2;
        double high = Math.Max(low + 20 * width, Math.Ceiling(result.P999 / width) * width + width / 2);
        if ((high - low) / width > 200)
        {
            width = (high - low) / 200;
        }

        int bins = (int)Math.Round((high - low) / width);
        var histogram = ScottPlot.Statistics.Histogram.WithBinCount(bins, low, high);
        histogram.AddRange(result.Samples.Where(s => s < high));

        var plot = new Plot();
        var bars = plot.Add.Bars(histogram.Bins, histogram.Counts);
        foreach (Bar bar in bars.Bars)
        {
            bar.Size = width * 0.9;
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
