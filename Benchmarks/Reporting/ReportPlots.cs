using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Fixed.Benchmarks.Models;
using ScottPlot;

namespace Fixed.Benchmarks.Reporting;

/// <summary>The report's step-time plots: ns per step against hidden size (input 1), log scale, one line per implementation.</summary>
public static class ReportPlots
{
    /// <summary>Writes the plot for <paramref name="cell"/> to <paramref name="path"/> (per-call medians).</summary>
    public static void SaveStepPlot(Cell cell, ReportData data, string path)
    {
        var plot = new Plot();
        AddSeries(plot, "generated", n => data.Timed("step", "generated", n), cell);
        AddSeries(plot, "scalar", n => data.Timed("step", "scalar", n), cell);
        AddSeries(plot, "TensorPrimitives", n => data.Timed("step", "tensorprimitives", n), cell);
        AddSeries(plot, "ONNX Runtime", n => data.Timed("step", "onnxruntime", n), cell);
        AddSeries(plot, "PyTorch eager", n => data.PyTorch("step", n), cell);

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            NetworkId.HiddenSizes.Select(h => Math.Log2(h)).ToArray(),
            NetworkId.HiddenSizes.Select(h => h.ToString(CultureInfo.InvariantCulture)).ToArray());
        // Log scale by hand: the data are log10(ns), ticks at 1, 2 and 5 per decade, labelled in ns.
        double[] ticks = Enumerable.Range(0, 8)
            .SelectMany(decade => new[] { 1.0, 2.0, 5.0 }.Select(m => m * Math.Pow(10, decade)))
            .ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ticks.Select(Math.Log10).ToArray(),
            ticks.Select(t => t.ToString("N0", CultureInfo.InvariantCulture)).ToArray());
        plot.Title(FormattableString.Invariant($"{cell.ToString().ToUpperInvariant()} step, input 1, batch 1 (per-call median ns, log scale)"));
        plot.XLabel("hidden size");
        plot.YLabel("ns per step");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 640, 420);
    }

    private static void AddSeries(Plot plot, string label, Func<NetworkId, double?> value, Cell cell)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (int hidden in NetworkId.HiddenSizes)
        {
            if (value(new NetworkId(cell, 1, hidden)) is { } ns && ns > 0)
            {
                xs.Add(Math.Log2(hidden));
                ys.Add(Math.Log10(ns));
            }
        }

        if (xs.Count == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
        scatter.LegendText = label;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
    }
}
