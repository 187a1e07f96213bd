using System;
using System.Collections.Generic;
using System.IO;
using ScottPlot;

/// <summary>The two figures: the training curves, and one recording streamed step by step with the class probabilities.</summary>
internal static class Plots
{
    private static readonly Color[] ClassColors = [Colors.Gray, Colors.DodgerBlue, Colors.SeaGreen, Colors.OrangeRed];

    public static void Training(IReadOnlyList<double> loss, IReadOnlyList<double> trainAccuracy, IReadOnlyList<double> testAccuracy, string path)
    {
        double[] epoch = Generate.Consecutive(loss.Count, first: 1);
        var plot = new Plot();
        var lossLine = plot.Add.Scatter(epoch, [.. loss]);
        lossLine.LegendText = "training loss (cross-entropy)";
        lossLine.Color = Colors.OrangeRed;
        lossLine.LineWidth = 2;
        var train = plot.Add.Scatter(epoch, Percent(trainAccuracy));
        train.LegendText = "train accuracy";
        train.Color = Colors.DodgerBlue;
        train.Axes.YAxis = plot.Axes.Right;
        var test = plot.Add.Scatter(epoch, Percent(testAccuracy));
        test.LegendText = "test accuracy";
        test.Color = Colors.SeaGreen;
        test.LinePattern = LinePattern.Dashed;
        test.Axes.YAxis = plot.Axes.Right;
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        plot.Axes.SetLimitsY(0, Math.Max(1.5, Max(loss) * 1.05));
        plot.Title("ActivityStack: GRU(3, 24) → GRU(24, 12) → Linear(12, 16) → ReLU → Linear(16, 4)");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.ShowLegend(Alignment.MiddleRight);
        Save(path, p => plot.SavePng(p, 900, 420));
    }

    /// <summary>Top: the three axes of <paramref name="sequence"/> ([T, 3], in g). Bottom: softmax of the logits after each step.</summary>
    public static void Stream(float[] sequence, float[,] probabilities, int impact, string title, string path)
    {
        int steps = probabilities.GetLength(0);
        double[] time = new double[steps];
        for (int t = 0; t < steps; t++)
        {
            time[t] = t / ActivityGenerator.SampleRate;
        }

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        Plot signal = multiplot.GetPlot(0), classes = multiplot.GetPlot(1);

        string[] axisNames = ["x", "y", "z"];
        Color[] axisColors = [Colors.Crimson, Colors.ForestGreen, Colors.RoyalBlue];
        for (int a = 0; a < 3; a++)
        {
            double[] values = new double[steps];
            for (int t = 0; t < steps; t++)
            {
                values[t] = sequence[t * 3 + a];
            }

            var line = signal.Add.ScatterLine(time, values);
            line.LegendText = "accel " + axisNames[a];
            line.Color = axisColors[a];
            line.LineWidth = 1.5f;
        }

        for (int c = 0; c < probabilities.GetLength(1); c++)
        {
            double[] values = new double[steps];
            for (int t = 0; t < steps; t++)
            {
                values[t] = probabilities[t, c];
            }

            var line = classes.Add.ScatterLine(time, values);
            line.LegendText = $"P({(Activity)c})";
            line.Color = ClassColors[c];
            line.LineWidth = 2;
        }

        if (impact >= 0)
        {
            foreach (Plot plot in new[] { signal, classes })
            {
                var marker = plot.Add.VerticalLine(impact / ActivityGenerator.SampleRate);
                marker.Color = Colors.Black.WithAlpha(0.5);
                marker.LinePattern = LinePattern.Dashed;
                if (plot == signal)
                {
                    marker.LegendText = "impact";
                }
            }
        }

        signal.Title(title);
        signal.YLabel("acceleration (g)");
        signal.ShowLegend(Alignment.UpperLeft);
        classes.XLabel("time (s), one Step per sample at 50 Hz");
        classes.YLabel("softmax(logits)");
        classes.Axes.SetLimitsY(-0.02, 1.02);
        classes.ShowLegend(Alignment.MiddleLeft);
        signal.Axes.SetLimitsX(0, time[^1]);
        classes.Axes.SetLimitsX(0, time[^1]);
        Save(path, p => multiplot.SavePng(p, 900, 640));
    }

    private static double[] Percent(IReadOnlyList<double> fractions)
    {
        double[] result = new double[fractions.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = fractions[i] * 100;
        }

        return result;
    }

    private static double Max(IReadOnlyList<double> values)
    {
        double max = double.MinValue;
        foreach (double v in values)
        {
            max = Math.Max(max, v);
        }

        return max;
    }

    private static void Save(string path, Action<string> save)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        save(path);
    }
}
