using System;
using System.Diagnostics;
using System.IO;
using ScottPlot;

/// <summary>What the run measured, as text and as a picture. Runs after the stream, so it may allocate.</summary>
internal static class Report
{
    public static void Latency(string what, Span<long> ticks)
    {
        ticks.Sort();
        Console.WriteLine($"{what,-30} {Microseconds(ticks[ticks.Length / 2]),9:F2} µs {Microseconds(ticks[(int)(ticks.Length * 0.99)]),8:F2} µs {Microseconds(ticks[^1]),8:F1} µs");
    }

    public static void ErrorOverTime(float[] model, float[] lastValue, int blocks, double sampleRate)
    {
        int size = model.Length / blocks;
        for (int b = 0; b < blocks; b++)
        {
            int from = b * size;
            Console.WriteLine($"  {from / sampleRate,5:F0} s - {(from + size) / sampleRate,3:F0} s     {Rmse(model, from, size),7:F4}   {Rmse(lastValue, from, size),7:F4}");
        }
    }

    public static void Plot(float[] model, float[] lastValue, double sampleRate, float noise, string path)
    {
        const int Block = 1_000;                        // one RMSE per second of stream
        int count = model.Length / Block;
        double[] seconds = new double[count], modelRmse = new double[count], lastValueRmse = new double[count];
        for (int b = 0; b < count; b++)
        {
            seconds[b] = (b + 1) * Block / sampleRate;
            modelRmse[b] = Rmse(model, b * Block, Block);
            lastValueRmse[b] = Rmse(lastValue, b * Block, Block);
        }

        var plot = new ScottPlot.Plot();
        var naive = plot.Add.ScatterLine(seconds, lastValueRmse);
        naive.LegendText = "last value as forecast";
        naive.Color = Colors.Gray;
        var learned = plot.Add.ScatterLine(seconds, modelRmse);
        learned.LegendText = "GRU, trained online (one BPTT update per 32 samples)";
        learned.Color = Colors.OrangeRed;
        learned.LineWidth = 2;
        var floor = plot.Add.HorizontalLine(noise);
        floor.LegendText = "sensor noise (std)";
        floor.Color = Colors.Black;
        floor.LinePattern = LinePattern.Dashed;
        plot.Axes.SetLimitsY(0, 0.1);
        plot.Title("SensorStream: next-sample prediction error, RMSE per second");
        plot.XLabel("time in the stream (s)");
        plot.YLabel("RMSE");
        plot.ShowLegend(Alignment.UpperRight);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 900, 380);
    }

    private static double Rmse(float[] errors, int from, int count)
    {
        double sum = 0;
        for (int i = from; i < from + count; i++)
        {
            sum += errors[i] * errors[i];
        }

        return Math.Sqrt(sum / count);
    }

    private static double Microseconds(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
}
