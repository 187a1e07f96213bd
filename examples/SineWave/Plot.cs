using System.IO;
using ScottPlot;

/// <summary>D2L's figure: the data, the one-step-ahead and the multi-step-ahead predictions against t.</summary>
internal static class Plot
{
    public static void Save(float[] x, float[] oneStep, float[] multiStep, int tau, int firstHeldOut, string path)
    {
        var plot = new ScottPlot.Plot();
        var data = plot.Add.ScatterPoints(Time(0, x.Length), Slice(x, 0));
        data.LegendText = "data x (noisy)";
        data.Color = Colors.Gray.WithAlpha(0.6);
        data.MarkerSize = 2.5f;
        var one = plot.Add.ScatterLine(Time(tau, x.Length), Slice(oneStep, tau));
        one.LegendText = "1-step-ahead prediction";
        one.Color = Colors.DodgerBlue;
        one.LineWidth = 1.5f;
        var multi = plot.Add.ScatterLine(Time(firstHeldOut, x.Length), Slice(multiStep, firstHeldOut));
        multi.LegendText = "multi-step-ahead (own outputs fed back)";
        multi.Color = Colors.OrangeRed;
        multi.LineWidth = 2;
        var split = plot.Add.VerticalLine(firstHeldOut + 1);
        split.Color = Colors.Black.WithAlpha(0.5);
        split.LinePattern = LinePattern.Dashed;
        var label = plot.Add.Text("training  |  held out", firstHeldOut + 1, 1.75);
        label.LabelAlignment = Alignment.UpperCenter;
        label.LabelFontSize = 13;
        plot.Title("SineWave: RnnRegression trained in C#, 10 epochs");
        plot.XLabel("t");
        plot.Axes.SetLimitsY(-2.7, 1.8);                 // room below the data for the legend
        plot.ShowLegend(Alignment.LowerLeft);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 900, 400);
    }

    // x[k] is the value at time t = k + 1 (the data set's t runs from 1 to 1000).
    private static double[] Time(int from, int to)
    {
        double[] t = new double[to - from];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = from + i + 1;
        }

        return t;
    }

    private static double[] Slice(float[] values, int from)
    {
        double[] result = new double[values.Length - from];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = values[from + i];
        }

        return result;
    }
}
