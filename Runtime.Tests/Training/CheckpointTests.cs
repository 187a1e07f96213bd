using System;
using System.Collections.Generic;
using System.IO;
using Xunit;

namespace Fixed.Tests.Training;

public sealed class CheckpointTests
{
    [Theory]
    [InlineData("Adam")]
    [InlineData("AdamW")]
    [InlineData("Sgd")]
    public void Resume_FromCheckpoint_BitIdenticalToNotStopping(string kind)
    {
        var straight = new SmallGru(seed: 4);
        Optimizer straightOptimizer = Create(kind, straight);
        for (int i = 0; i < 10; i++)
        {
            Train(straight, straightOptimizer, i);
        }

        var first = new SmallGru(seed: 4);
        Optimizer firstOptimizer = Create(kind, first);
        for (int i = 0; i < 5; i++)
        {
            Train(first, firstOptimizer, i);
        }

        var stream = new MemoryStream();
        Checkpoint.Save(stream, first, firstOptimizer);
        var resumed = new SmallGru(seed: 99);
        Optimizer resumedOptimizer = Create(kind, resumed);
        stream.Position = 0;
        Checkpoint.Load(stream, resumed, resumedOptimizer);
        Assert.Equal(5, resumedOptimizer.StepCount);
        for (int i = 5; i < 10; i++)
        {
            Train(resumed, resumedOptimizer, i);
        }

        Assert.Equal(straight.Parameters.ToArray(), resumed.Parameters.ToArray());
    }

    /// <summary>
    /// A checkpoint holds the model under its state_dict names, so that <c>Load</c> reads it once the optimizer's tensors
    /// are dropped (no renaming, nothing else removed). <c>Load</c> itself keeps its contract of nothing extra: on the
    /// whole checkpoint it names the first optimizer tensor and changes nothing.
    /// </summary>
    [Fact]
    public void Save_ToPath_ModelPartLoadsWithModelLoadAfterRemovingOnlyTheOptimizerTensors()
    {
        var model = new SmallLstm(seed: 1);
        var optimizer = new Adam(model);
        Train(model, optimizer, 0);
        string path = Path.Combine(Path.GetTempPath(), "fixed-checkpoint-" + Guid.NewGuid().ToString("N") + ".safetensors");
        string modelPart = Path.ChangeExtension(path, ".model.safetensors");
        try
        {
            Checkpoint.Save(path, model, optimizer);
            SafeTensorFile file = SafeTensorFile.Read(path);

            Assert.Equal("Adam", file.Metadata["optimizer"]);
            Assert.Equal("1", file.Metadata["step"]);
            Assert.True(file.TryGetTensor("optimizer.exp_avg", out _));
            Assert.True(file.TryGetTensor("rnn.weight_ih_l1", out _));

            var fresh = new SmallLstm(seed: 2);
            float[] before = fresh.Parameters.ToArray();
            Assert.NotEqual(model.Parameters.ToArray(), before);
            InvalidDataException error = Assert.Throws<InvalidDataException>(() => fresh.Load(path));
            Assert.Contains("unexpected tensor 'optimizer.", error.Message, StringComparison.Ordinal);
            Assert.Equal(before, fresh.Parameters.ToArray());

            var kept = new List<FloatTensor>();
            foreach (SafeTensorEntry entry in file.Tensors)
            {
                if (!entry.Name.StartsWith("optimizer.", StringComparison.Ordinal))
                {
                    kept.Add(new FloatTensor(entry.Name, entry.Shape, file.ReadFloats(entry.Name)));
                }
            }

            Assert.Equal(SmallLstm.Layout.Length, kept.Count);
            SafeTensorWriter.Write(modelPart, kept);
            fresh.Load(modelPart);

            Assert.Equal(model.Parameters.ToArray(), fresh.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
            File.Delete(modelPart);
        }
    }

    [Fact]
    public void Load_OtherOptimizerKind_ThrowsAndChangesNothing()
    {
        var model = new SmallGru(seed: 1);
        var adam = new Adam(model);
        Train(model, adam, 0);
        var stream = new MemoryStream();
        Checkpoint.Save(stream, model, adam);

        var target = new SmallGru(seed: 2);
        var sgd = new Sgd(target, 0.1f, momentum: 0.9f);
        float[] before = target.Parameters.ToArray();
        stream.Position = 0;

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(stream, target, sgd));

        Assert.Contains("Adam", error.Message);
        Assert.Equal(before, target.Parameters.ToArray());
        Assert.Equal(0, sgd.StepCount);
    }

    [Fact]
    public void Load_OtherHyperparameters_ThrowsNamingTheValue()
    {
        var model = new SmallGru(seed: 1);
        var stream = new MemoryStream();
        Checkpoint.Save(stream, model, new Adam(model, beta1: 0.8f));
        stream.Position = 0;

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(stream, model, new Adam(model)));

        Assert.Contains("beta1 = '0.8'", error.Message);
    }

    [Fact]
    public void Save_OptimizerOfAnotherModel_Throws()
    {
        var model = new SmallGru(seed: 1);
        var other = new SmallGru(seed: 2);

        Assert.Throws<ArgumentException>(() => Checkpoint.Save(new MemoryStream(), model, new Adam(other)));
    }

    private static Optimizer Create(string kind, IParameters model) => kind switch
    {
        "Adam" => new Adam(model, lr: 0.01f),
        "AdamW" => new AdamW(model, lr: 0.01f),
        _ => new Sgd(model, 0.05f, momentum: 0.9f, nesterov: true),
    };

    private static void Train<T>(T model, Optimizer optimizer, int iteration)
        where T : IRecurrentModel<T>
    {
        var inputs = new float[3 * 6 * T.InputSize];
        var targets = new float[3 * T.OutputSize];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = MathF.Sin(0.3f * i + iteration);
        }

        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = MathF.Cos(0.7f * i + iteration);
        }

        model.ZeroGrad();
        model.Backward(inputs, targets, batchSize: 3, Loss.Mse, LossOn.LastStep);
        model.ClipGradNorm(1f);
        optimizer.Step();
    }
}
