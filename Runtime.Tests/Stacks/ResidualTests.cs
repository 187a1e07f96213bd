using System;
using System.Linq;
using Xunit;

namespace Fixed.Tests.Stacks;

/// <summary>
/// The residual layer (<c>[AddInput(n)]</c>) on every path, against an oracle that does not use it: the same stack without
/// the residual (<see cref="ResidualAmpWithoutResidual"/>, same weights) gives outputs that differ by exactly the input's
/// first features, and, since the residual has no parameters, its MSE gradients against targets shifted by those
/// features (<c>(y + x) - t = y - (t - x)</c>). PyTorch's outputs and gradients are Parity/StackParityTests'
/// (<c>lstm_skip</c>, <c>gru_skip_tanh_bf</c>); finite differences are StackTests'.
/// </summary>
public sealed class ResidualTests
{
    private const int Steps = 9;

    private const int Features = 2;

    private static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new System.Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static (ResidualAmp Residual, ResidualAmpWithoutResidual Twin) Pair(int seed)
    {
        var residual = new ResidualAmp(seed);
        var twin = new ResidualAmpWithoutResidual(seed + 1);
        residual.ParameterValues.CopyTo(twin.Parameters);
        return (residual, twin);
    }

    /// <summary>Rows of <paramref name="values"/> (of OutputSize) plus (sign +1) or minus the first features of the matching input rows.</summary>
    private static float[] Shift(float[] values, float[] inputs, int rows, float sign)
    {
        float[] shifted = (float[])values.Clone();
        for (int t = 0; t < rows; t++)
        {
            for (int j = 0; j < Features; j++)
            {
                shifted[t * Features + j] += sign * inputs[t * ResidualAmp.InputSize + j];
            }
        }

        return shifted;
    }

    [Fact]
    public void Sizes_AreTheStacksWithTheResidualAddingNoParameter()
    {
        Assert.Equal(ResidualAmpWithoutResidual.ParameterCount, ResidualAmp.ParameterCount);
        Assert.Equal(3, ResidualAmp.InputSize);
        Assert.Equal(2, ResidualAmp.OutputSize);
        Assert.Equal(ResidualAmpWithoutResidual.Layout.ToArray().Select(t => t.Name), ResidualAmp.Layout.ToArray().Select(t => t.Name));
    }

    [Fact]
    public void ForwardStepAndStreams_AreTheTwinsOutputsPlusTheInputsFirstFeatures_BitForBit()
    {
        (ResidualAmp residual, ResidualAmpWithoutResidual twin) = Pair(1);
        float[] inputs = Random(Steps * ResidualAmp.InputSize, 2, 1.5f);
        float[] start = Random(ResidualAmp.StateLength, 3, 0.5f);

        float[] twinOutputs = new float[Steps * Features];
        twin.Forward((float[])start.Clone(), inputs, twinOutputs);
        float[] expected = Shift(twinOutputs, inputs, Steps, +1f);

        float[] forward = new float[Steps * Features];
        float[] forwardState = (float[])start.Clone();
        residual.Forward(forwardState, inputs, forward);
        Assert.Equal(expected, forward);

        float[] stepped = new float[Steps * Features];
        float[] stepState = (float[])start.Clone();
        for (int t = 0; t < Steps; t++)
        {
            residual.Step(stepState, inputs.AsSpan(t * ResidualAmp.InputSize, ResidualAmp.InputSize), stepped.AsSpan(t * Features, Features));
        }

        Assert.Equal(expected, stepped);
        Assert.Equal(forwardState, stepState);

        // One stream of the many-streams Forward ([T, N=1, I]) is that stream's own Forward.
        var states = new ResidualAmp.State[1];
        start.CopyTo(states[0].Values);
        float[] streams = new float[Steps * Features];
        residual.Forward(states, inputs, streams);
        Assert.Equal(expected, streams);

        // WarmUp advances the state as Forward does: the residual does not touch the state.
        var warm = default(ResidualAmp.State);
        start.CopyTo(warm.Values);
        residual.WarmUp(ref warm, inputs);
        Assert.Equal(forwardState, warm.Values.ToArray());
    }

    [Fact]
    public void SingleBackwardAndEvaluate_AreTheTwinsAgainstShiftedTargets()
    {
        (ResidualAmp residual, ResidualAmpWithoutResidual twin) = Pair(4);
        float[] inputs = Random(Steps * ResidualAmp.InputSize, 5, 1.5f);
        float[] start = Random(ResidualAmp.StateLength, 6, 0.5f);
        const int WarmUp = 2;
        float[] targets = Random((Steps - WarmUp) * Features, 7);
        float[] shifted = Shift(targets, inputs.AsSpan(WarmUp * ResidualAmp.InputSize).ToArray(), Steps - WarmUp, -1f);

        float[] residualState = (float[])start.Clone();
        float loss = residual.Backward(residualState, inputs, targets, Loss.Mse, LossOn.AllSteps, WarmUp);
        float[] twinState = (float[])start.Clone();
        float twinLoss = twin.Backward(twinState, inputs, shifted, Loss.Mse, LossOn.AllSteps, WarmUp);

        Close.Elementwise([twinLoss], [loss], 1e-6, "loss");
        Close.Tensor(twin.Gradients, residual.Gradients, 1e-5, "gradients");
        Assert.Equal(twinState, residualState);
        Assert.True(loss > 0.05f, "the loss must depend on the residual for the check to mean anything: " + loss);

        float evaluated = residual.Evaluate((float[])start.Clone(), inputs, targets, Loss.Mse, LossOn.AllSteps, WarmUp);
        Assert.Equal(loss, evaluated);
    }

    [Theory]
    [InlineData(SequenceLayout.BatchFirst)]
    [InlineData(SequenceLayout.TimeFirst)]
    public void LengthsBackwardAndEvaluate_AreTheTwinsAgainstShiftedTargets(SequenceLayout layout)
    {
        (ResidualAmp residual, ResidualAmpWithoutResidual twin) = Pair(8);
        int[] lengths = [Steps, 4, 7];
        int batch = lengths.Length;
        float[] inputs = Random(batch * Steps * ResidualAmp.InputSize, 9, 1.5f);
        float[] targets = Random(batch * Steps * Features, 10);
        float[] shifted = (float[])targets.Clone();
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < Steps; t++)
            {
                int row = layout == SequenceLayout.BatchFirst ? b * Steps + t : t * batch + b;
                for (int j = 0; j < Features; j++)
                {
                    shifted[row * Features + j] -= inputs[row * ResidualAmp.InputSize + j];
                }
            }
        }

        float loss = residual.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps, layout);
        float twinLoss = twin.Backward(inputs, shifted, lengths, Loss.Mse, LossOn.AllSteps, layout);

        Close.Elementwise([twinLoss], [loss], 1e-6, "loss");
        Close.Tensor(twin.Gradients, residual.Gradients, 1e-5, "gradients");
        Assert.Equal(loss, residual.Evaluate(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps, layout));
    }

    [Fact]
    public void BatchedBackward_LastStep_IsTheTwinsAgainstShiftedTargets()
    {
        (ResidualAmp residual, ResidualAmpWithoutResidual twin) = Pair(11);
        const int Batch = 4;
        float[] inputs = Random(Batch * Steps * ResidualAmp.InputSize, 12, 1.5f);
        float[] targets = Random(Batch * Features, 13);
        float[] shifted = (float[])targets.Clone();
        for (int b = 0; b < Batch; b++)
        {
            int last = b * Steps + Steps - 1;
            for (int j = 0; j < Features; j++)
            {
                shifted[b * Features + j] -= inputs[last * ResidualAmp.InputSize + j];
            }
        }

        float loss = residual.Backward(inputs, targets, Batch);
        float twinLoss = twin.Backward(inputs, shifted, Batch);

        Close.Elementwise([twinLoss], [loss], 1e-6, "loss");
        Close.Tensor(twin.Gradients, residual.Gradients, 1e-5, "gradients");
        Assert.Equal(loss, residual.Evaluate(inputs, targets, Batch));
    }
}
