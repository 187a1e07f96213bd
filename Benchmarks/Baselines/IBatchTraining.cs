using System;

namespace Fixed.Benchmarks.Baselines;

/// <summary>An implementation with a batched Backward (the generated models): the <c>training-batch32</c> timing.</summary>
public interface IBatchTraining
{
    /// <summary>
    /// Batched BPTT: <paramref name="batchSize"/> sequences of <c>[T, Input]</c> (batch first), each from the zero state, the
    /// MSE over every step; adds into the gradients and returns the loss.
    /// </summary>
    float BackwardBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize);
}
