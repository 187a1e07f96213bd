using System;
using BenchmarkDotNet.Attributes;
using Fixed.Benchmarks.Models;
using Fixed.Benchmarks.Timing;

namespace Fixed.Benchmarks.Suites;

/// <summary>
/// Training on the sequence engine, which serves <c>ProjSize</c> and <c>Bidirectional</c> models: one iteration over a
/// window of 32 steps (Backward from the zero state with the MSE over every step, <c>ClipGradNorm(1)</c>, Adam, ZeroGrad),
/// and one batched Backward of 32 such sequences, for LSTM 1→32 with <c>ProjSize = 16</c> and a bidirectional GRU 1→32.
/// </summary>
public class SequenceEngineBenchmarks
{
    private const int Window = 32;
    private const int Batch = 32;

    private readonly Lstm1To32Proj16 _projected = new(NetworkCatalog.Seed);
    private readonly Gru1To32Bidirectional _bidirectional = new(NetworkCatalog.Seed);
    private Adam _projectedAdam = null!;
    private Adam _bidirectionalAdam = null!;
    private float[] _projectedState = [];
    private float[] _bidirectionalState = [];
    private float[] _inputs = [];
    private float[] _targets = [];

    /// <summary>Inputs and targets of the batch (the first sequence is the single-sequence case), warm-up until the JIT is quiet.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _projectedAdam = new Adam(_projected, 1e-3f);
        _bidirectionalAdam = new Adam(_bidirectional, 1e-3f);
        _projectedState = new float[Lstm1To32Proj16.StateLength];
        _bidirectionalState = new float[Gru1To32Bidirectional.StateLength];
        _inputs = new float[Batch * Window];
        _targets = new float[Batch * Window];
        var random = new Random(13);
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = (float)((random.NextDouble() * 2) - 1);
            _targets[i] = (float)((random.NextDouble() * 2) - 1);
        }

        JitWarmUp.UntilQuiet(() =>
        {
            ProjectedIteration();
            ProjectedBatch();
            BidirectionalIteration();
            BidirectionalBatch();
        });
    }

    /// <summary>LSTM 1→32, ProjSize 16: one training iteration.</summary>
    [Benchmark]
    public float ProjectedIteration()
    {
        Array.Clear(_projectedState);
        float loss = _projected.Backward(_projectedState, _inputs.AsSpan(0, Window), _targets.AsSpan(0, Window), Loss.Mse, LossOn.AllSteps);
        _projected.ClipGradNorm(1f);
        _projectedAdam.Step();
        _projected.ZeroGrad();
        return loss;
    }

    /// <summary>LSTM 1→32, ProjSize 16: one batched Backward of 32 sequences (gradients cleared after).</summary>
    [Benchmark]
    public float ProjectedBatch()
    {
        float loss = _projected.Backward(_inputs, _targets, Batch, Loss.Mse, LossOn.AllSteps);
        _projected.ZeroGrad();
        return loss;
    }

    /// <summary>Bidirectional GRU 1→32: one training iteration.</summary>
    [Benchmark]
    public float BidirectionalIteration()
    {
        Array.Clear(_bidirectionalState);
        float loss = _bidirectional.Backward(_bidirectionalState, _inputs.AsSpan(0, Window), _targets.AsSpan(0, Window), Loss.Mse, LossOn.AllSteps);
        _bidirectional.ClipGradNorm(1f);
        _bidirectionalAdam.Step();
        _bidirectional.ZeroGrad();
        return loss;
    }

    /// <summary>Bidirectional GRU 1→32: one batched Backward of 32 sequences (gradients cleared after).</summary>
    [Benchmark]
    public float BidirectionalBatch()
    {
        float loss = _bidirectional.Backward(_inputs, _targets, Batch, Loss.Mse, LossOn.AllSteps);
        _bidirectional.ZeroGrad();
        return loss;
    }
}
