using System;
using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Timing;

namespace Fixed.Benchmarks.Suites;

/// <summary>
/// Models that run on the SequenceEngine (docs/bidirectional.md), which the grid suites do not reach: a bidirectional
/// two-layer LSTM with a head, and a one-direction LSTM with a projection. Per model, <c>Forward</c> over one window of
/// <see cref="Steps"/> steps from the zero state, and one training iteration as <see cref="TrainingBenchmarks"/> runs it
/// (single-sequence Backward with MSE over every step, <c>ClipGradNorm(1)</c>, an Adam step, <c>ZeroGrad</c>). No
/// baseline: the scalar and TensorPrimitives references have no projection and no reverse direction.
/// </summary>
public class SequenceBenchmarks
{
    /// <summary>Steps per call: the models' Window.</summary>
    public const int Steps = 32;

    private readonly BidirectionalLstm _bidirectional = new(seed: 1);
    private readonly ProjectedLstm _projected = new(seed: 1);
    private readonly float[] _bidirectionalState = new float[BidirectionalLstm.StateLength];
    private readonly float[] _projectedState = new float[ProjectedLstm.StateLength];
    private readonly float[] _bidirectionalInputs = Random(Steps * BidirectionalLstm.InputSize, 11);
    private readonly float[] _bidirectionalTargets = Random(Steps * BidirectionalLstm.OutputSize, 13);
    private readonly float[] _bidirectionalOutputs = new float[Steps * BidirectionalLstm.OutputSize];
    private readonly float[] _projectedInputs = Random(Steps * ProjectedLstm.InputSize, 17);
    private readonly float[] _projectedTargets = Random(Steps * ProjectedLstm.OutputSize, 19);
    private readonly float[] _projectedOutputs = new float[Steps * ProjectedLstm.OutputSize];
    private Adam _bidirectionalAdam = null!;
    private Adam _projectedAdam = null!;

    /// <summary>Binds the optimizers and runs each benchmark until the JIT is quiet (the lazily allocated gradients, tape and pool buffers, tier-1 code).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _bidirectionalAdam = new Adam(_bidirectional, 1e-3f);
        _projectedAdam = new Adam(_projected, 1e-3f);
        JitWarmUp.UntilQuiet(() =>
        {
            BidirectionalForward();
            BidirectionalTraining();
            ProjectedForward();
            ProjectedTraining();
        });
    }

    /// <summary>nn.LSTM(3, 64, num_layers=2, bidirectional=True) + nn.Linear(128, 4): Forward over 32 steps.</summary>
    [Benchmark]
    public float BidirectionalForward()
    {
        Array.Clear(_bidirectionalState);
        _bidirectional.Forward(_bidirectionalState, _bidirectionalInputs, _bidirectionalOutputs);
        return _bidirectionalOutputs[^1];
    }

    /// <summary>The bidirectional LSTM: one training iteration over 32 steps.</summary>
    [Benchmark]
    public float BidirectionalTraining()
    {
        Array.Clear(_bidirectionalState);
        float loss = _bidirectional.Backward(_bidirectionalState, _bidirectionalInputs, _bidirectionalTargets);
        _bidirectional.ClipGradNorm(1f);
        _bidirectionalAdam.Step();
        _bidirectional.ZeroGrad();
        return loss;
    }

    /// <summary>nn.LSTM(1, 64, proj_size=16) + nn.Linear(16, 1): Forward over 32 steps.</summary>
    [Benchmark]
    public float ProjectedForward()
    {
        Array.Clear(_projectedState);
        _projected.Forward(_projectedState, _projectedInputs, _projectedOutputs);
        return _projectedOutputs[^1];
    }

    /// <summary>The projected LSTM: one training iteration over 32 steps.</summary>
    [Benchmark]
    public float ProjectedTraining()
    {
        Array.Clear(_projectedState);
        float loss = _projected.Backward(_projectedState, _projectedInputs, _projectedTargets);
        _projected.ClipGradNorm(1f);
        _projectedAdam.Step();
        _projected.ZeroGrad();
        return loss;
    }

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}

/// <summary>The bidirectional model of <see cref="SequenceBenchmarks"/>.</summary>
[Recurrent(3, 64, Cell = Cell.Lstm, NumLayers = 2, Bidirectional = true, OutputSize = 4, Window = SequenceBenchmarks.Steps)]
public partial class BidirectionalLstm;

/// <summary>The projected model of <see cref="SequenceBenchmarks"/>.</summary>
[Recurrent(1, 64, Cell = Cell.Lstm, ProjSize = 16, OutputSize = 1, Window = SequenceBenchmarks.Steps)]
public partial class ProjectedLstm;
