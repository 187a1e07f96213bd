using System.Collections.Generic;
using System.IO;
using ScottPlot;

/// <summary>Per-epoch loss and accuracies, and the training-curve plot.</summary>
internal sealed class TrainingHistory(int epochs)
{
    private readonly List<double> _loss = new(epochs), _train = new(epochs), _valid = new(epochs);

    public void Add(double loss, double trainAccuracy, double validAccuracy)
    {
        _loss.Add(loss);
        _train.Add(trainAccuracy * 100);
        _valid.Add(validAccuracy * 100);
    }

    public void Plot(string path)
    {
        double[] epoch = Generate.Consecutive(_loss.Count, first: 1);
        var plot = new ScottPlot.Plot();
        var loss = plot.Add.Scatter(epoch, _loss.ToArray());
        loss.LegendText = "training loss (cross-entropy)";
        loss.Color = Colors.OrangeRed;
        loss.LineWidth = 2;
        var train = plot.Add.Scatter(epoch, _train.ToArray());
        train.LegendText = "train accuracy";
        train.Color = Colors.DodgerBlue;
        train.Axes.YAxis = plot.Axes.Right;
        var valid = plot.Add.Scatter(epoch, _valid.ToArray());
        valid.LegendText = "validation accuracy";
        valid.Color = Colors.SeaGreen;
        valid.LinePattern = LinePattern.Dashed;
        valid.Axes.YAxis = plot.Axes.Right;
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        plot.Axes.SetLimitsY(0, 1.5);
        plot.Title("GestureLstm: LSTM(3, 32) trained on the device");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.ShowLegend(Alignment.MiddleRight);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        plot.SavePng(path, 800, 400);
    }
}
