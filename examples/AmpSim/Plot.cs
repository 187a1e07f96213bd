using System;
using System.IO;
using System.Linq;
using ScottPlot;

/// <summary>Input against output: the whole file (peak envelope) and 20 ms of one note's attack. Runs after processing.</summary>
internal static class Plot
{
    public static void Waveforms(Wav input, Wav output, string path)
    {
        var multi = new Multiplot();
        multi.AddPlots(2);
        Draw(multi.GetPlot(0), input, output, 0, input.Frames, "whole file (first channel)");
        int attack = Math.Min(input.Frames - 1, (int)(2.0 * input.SampleRate));
        int length = Math.Min(input.Frames - attack, input.SampleRate / 50);
        Draw(multi.GetPlot(1), input, output, attack, length, "20 ms from 2.0 s (first channel)");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        multi.SavePng(path, 1200, 700);
    }

    private static void Draw(ScottPlot.Plot plot, Wav input, Wav output, int first, int length, string title)
    {
        int step = Math.Max(1, length / 4000);
        double[] xs = [.. Enumerable.Range(0, (length + step - 1) / step).Select(i => (first + (i * step)) / (double)input.SampleRate)];
        var a = plot.Add.ScatterLine(xs, Channel(input, first, length, step));
        a.LegendText = "input";
        a.Color = Colors.SteelBlue;
        var b = plot.Add.ScatterLine(xs, Channel(output, first, length, step));
        b.LegendText = "model output";
        b.Color = Colors.OrangeRed;
        plot.Title($"AmpSim: {title}");
        plot.XLabel("time (s)");
        plot.YLabel("sample");
        plot.ShowLegend(Edge.Right);
    }

    private static double[] Channel(Wav wav, int first, int length, int step) =>
        [.. Enumerable.Range(0, (length + step - 1) / step).Select(i => (double)wav.Samples[(first + (i * step)) * wav.Channels])];
}
