using System;
using System.IO;
using System.Linq;
using ScottPlot;

/// <summary>The anomaly score over the served frames of one sensor per fault kind and of a healthy one. Runs after serving, so it may allocate.</summary>
internal static class Plot
{
    public static void Scores(float[][] trace, int[] sensors, SensorFleet fleet, float threshold, string path)
    {
        var plot = new ScottPlot.Plot();
        Color[] colors = [Colors.OrangeRed, Colors.DarkViolet, Colors.SteelBlue, Colors.DarkGoldenRod, Colors.Gray];
        for (int k = 0; k < sensors.Length; k++)
        {
            int s = sensors[k];
            double[] xs = [.. Enumerable.Range(0, trace[k].Length).Where(f => !float.IsNaN(trace[k][f])).Select(f => (double)f)];
            double[] ys = [.. xs.Select(f => (double)Math.Min(trace[k][(int)f], 60f))];
            var line = plot.Add.ScatterLine(xs, ys);
            line.Color = colors[k];
            line.LineWidth = fleet.Faults[s] == Fault.None ? 1 : 2;
            line.LegendText = fleet.Faults[s] == Fault.None ? $"sensor {s}: healthy" : $"sensor {s}: {fleet.Faults[s]} from frame {fleet.FaultStart[s]}";
            if (fleet.Faults[s] != Fault.None)
            {
                var span = plot.Add.HorizontalSpan(fleet.FaultStart[s], fleet.FaultStart[s] + SensorFleet.FaultLength);
                span.FillStyle.Color = colors[k].WithAlpha(0.12);
            }
        }

        var alarm = plot.Add.HorizontalLine(threshold);
        alarm.Color = Colors.Black;
        alarm.LinePattern = LinePattern.Dashed;
        alarm.LegendText = "alarm threshold";
        plot.Axes.SetLimitsY(0, 60);
        plot.Title($"SensorGateway: {fleet.Count} sensors, one GRU, one Step per frame: anomaly score of five of them");
        plot.XLabel("frame");
        plot.YLabel("anomaly score (clipped at 60)");
        plot.ShowLegend(Edge.Right);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 1200, 420);
    }
}
