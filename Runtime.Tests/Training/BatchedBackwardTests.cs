using System;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// The batched <c>Backward</c> records and sweeps groups of sequences side by side; its loss and gradients must be those of
/// the batch's sequences taken one at a time through the single-sequence <c>Backward</c> (itself checked against PyTorch and
/// finite differences): the batch mean is 1/B of the sum of the per-sequence means, every sequence from the zero state.
/// Batch sizes below, at and around the group of four, both layouts, both <see cref="LossOn"/>, with and without warm-up,
/// every cell, stacks of layers, no head, inputs wider than one.
/// </summary>
public sealed class BatchedBackwardTests
{
    /// <summary>
    /// The multi-stream forward sums the hidden projection in another order than the single-stream step (both within 1e-6 of
    /// each other per output), so the two paths agree to float rounding, not bit for bit.
    /// </summary>
    private const double Tolerance = 2e-5;

    public static TheoryData<int, SequenceLayout, LossOn, int> Cases()
    {
        var data = new TheoryData<int, SequenceLayout, LossOn, int>();
        foreach (int batch in new[] { 1, 2, 3, 4, 5, 8, 11 })
        {
            data.Add(batch, SequenceLayout.BatchFirst, LossOn.AllSteps, 0);
            data.Add(batch, SequenceLayout.TimeFirst, LossOn.LastStep, 2);
        }

        data.Add(6, SequenceLayout.TimeFirst, LossOn.AllSteps, 3);
        data.Add(7, SequenceLayout.BatchFirst, LossOn.LastStep, 0);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SmallRnn_Batched_EqualsSequenceBySequence(int batch, SequenceLayout layout, LossOn on, int warmUp) =>
        Check<SmallRnn>(batch, layout, on, warmUp, Loss.Mse);

    [Theory]
    [MemberData(nameof(Cases))]
    public void SmallGru_Batched_EqualsSequenceBySequence(int batch, SequenceLayout layout, LossOn on, int warmUp) =>
        Check<SmallGru>(batch, layout, on, warmUp, Loss.Huber);

    [Theory]
    [MemberData(nameof(Cases))]
    public void SmallLstm_Batched_EqualsSequenceBySequence(int batch, SequenceLayout layout, LossOn on, int warmUp) =>
        Check<SmallLstm>(batch, layout, on, warmUp, Loss.CrossEntropy);

    [Theory]
    [MemberData(nameof(Cases))]
    public void SmallGruNoHead_Batched_EqualsSequenceBySequence(int batch, SequenceLayout layout, LossOn on, int warmUp) =>
        Check<SmallGruNoHead>(batch, layout, on, warmUp, Loss.L1);

    [Theory]
    [InlineData(32, SequenceLayout.BatchFirst, LossOn.AllSteps, 0)]
    [InlineData(9, SequenceLayout.TimeFirst, LossOn.LastStep, 4)]
    public void Gru32_Batched_EqualsSequenceBySequence(int batch, SequenceLayout layout, LossOn on, int warmUp) =>
        Check<Gru32>(batch, layout, on, warmUp, Loss.Mse);

    [Theory]
    [InlineData(32, SequenceLayout.BatchFirst, LossOn.AllSteps, 0)]
    [InlineData(9, SequenceLayout.TimeFirst, LossOn.LastStep, 4)]
    public void Lstm32_Batched_EqualsSequenceBySequence(int batch, SequenceLayout layout, LossOn on, int warmUp) =>
        Check<Lstm32>(batch, layout, on, warmUp, Loss.Mse);

    [Theory]
    [InlineData(5, SequenceLayout.BatchFirst, LossOn.AllSteps, 0)]
    [InlineData(12, SequenceLayout.TimeFirst, LossOn.LastStep, 1)]
    public void RnnRegression_Batched_EqualsSequenceBySequence(int batch, SequenceLayout layout, LossOn on, int warmUp) =>
        Check<RnnRegression>(batch, layout, on, warmUp, Loss.Mse);

    [Fact]
    public void Batched_AddsIntoGradients_AndLeavesParametersAlone()
    {
        var model = new SmallGru(5);
        float[] parameters = model.Parameters.ToArray();
        var random = new Random(3);
        int steps = 6, batch = 6;
        float[] inputs = Values(random, batch * steps * SmallGru.InputSize);
        float[] targets = Values(random, batch * SmallGru.OutputSize);
        model.Backward(inputs, targets, batch, Loss.Mse, LossOn.LastStep);
        float[] once = model.Gradients.ToArray();
        model.Backward(inputs, targets, batch, Loss.Mse, LossOn.LastStep);
        for (int i = 0; i < once.Length; i++)
        {
            Assert.Equal(2 * once[i], model.Gradients[i], 1e-6f * Math.Max(1f, Math.Abs(once[i])));
        }

        Assert.Equal(parameters, model.Parameters.ToArray());
    }

    private static void Check<T>(int batch, SequenceLayout layout, LossOn on, int warmUp, Loss loss)
        where T : IRecurrentModel<T>
    {
        int steps = Math.Min(T.Window, 9);
        var random = new Random((batch * 31) + warmUp + (int)layout);
        float[] inputs = Values(random, batch * steps * T.InputSize);
        int lossSteps = on == LossOn.AllSteps ? steps - warmUp : 1;
        int width = loss == Loss.CrossEntropy ? 1 : T.OutputSize;
        float[] targets = loss == Loss.CrossEntropy
            ? Classes(random, batch * lossSteps, T.OutputSize)
            : Values(random, batch * lossSteps * width);

        T batched = T.Create(11);
        float value = batched.Backward(inputs, targets, batch, loss, on, warmUp, layout);

        T single = T.Create(11);
        double sum = 0;
        float[] sequence = new float[steps * T.InputSize];
        float[] sequenceTargets = new float[lossSteps * width];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                int from = layout == SequenceLayout.BatchFirst ? ((b * steps) + t) * T.InputSize : ((t * batch) + b) * T.InputSize;
                Array.Copy(inputs, from, sequence, t * T.InputSize, T.InputSize);
            }

            for (int t = 0; t < lossSteps; t++)
            {
                int from = layout == SequenceLayout.BatchFirst || on == LossOn.LastStep ? ((b * lossSteps) + t) * width : ((t * batch) + b) * width;
                Array.Copy(targets, from, sequenceTargets, t * width, width);
            }

            float[] state = new float[T.StateLength];
            sum += single.Backward(state, sequence, sequenceTargets, loss, on, warmUp);
        }

        string what = $"{typeof(T).Name} batch {batch} {layout} {on} warmUp {warmUp} {loss}";
        Assert.True(Math.Abs(value - (sum / batch)) <= Tolerance * Math.Max(1, Math.Abs(value)), $"{what}: loss {value}, sequence by sequence {sum / batch}");
        ReadOnlySpan<float> expected = single.Gradients;
        ReadOnlySpan<float> actual = batched.Gradients;
        foreach (ParameterInfo info in T.Layout)
        {
            double scale = 0;
            for (int i = info.Offset; i < info.Offset + info.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(expected[i] / batch));
            }

            Assert.True(scale > 0, $"{what}: {info.Name} has no gradient to compare");
            for (int i = info.Offset; i < info.Offset + info.Length; i++)
            {
                double reference = expected[i] / (double)batch;
                Assert.True(Math.Abs(actual[i] - reference) <= Tolerance * scale,
                    $"{what}: {info.Name}[{i - info.Offset}] = {actual[i]}, sequence by sequence {reference} (largest {scale})");
            }
        }
    }

    private static float[] Values(Random random, int count)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    private static float[] Classes(Random random, int count, int classes)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = random.Next(classes);
        }

        return values;
    }
}
