using System.IO;
using ScottPlot;

/// <summary>The picture in the README: the noisy stream, the model's prediction and the truth.</summary>
internal static class Plot
{
    public static void Save(float[] noisy, float[] predicted, float[] truth, string path)
    {
        double[] t = Generate.Consecutive(noisy.Length);
        var plot = new ScottPlot.Plot();
        var input = plot.Add.ScatterPoints(t, ToDouble(noisy));
        input.LegendText = "noisy input x_t";
        input.Color = Colors.Gray.WithAlpha(0.5);
        input.MarkerSize = 2;
        var target = plot.Add.ScatterLine(t, ToDouble(truth));
        target.LegendText = "truth sin(0.01 (t+1))";
        target.Color = Colors.Black;
        target.LineWidth = 2;
        var prediction = plot.Add.ScatterLine(t, ToDouble(predicted));
        prediction.LegendText = "RnnRegression.Step";
        prediction.Color = Colors.OrangeRed;
        prediction.LineWidth = 1.5f;
        plot.Title("QuickStart: one Step per sample, state carried along");
        plot.XLabel("t");
        plot.ShowLegend(Alignment.LowerLeft);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 900, 380);
    }

    private static double[] ToDouble(float[] values) => System.Array.ConvertAll(values, v => (double)v);
}
