using System;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Baselines;

/// <summary>
/// One implementation of one network, holding its own recurrent state, gradients and optimizer state, so that
/// every benchmark and the self-check drive the generated model and the baselines through the same calls.
/// The training iteration is the same everywhere: from the zero state, truncated BPTT over one window with the
/// MSE over every step, <c>clip_grad_norm_(1.0)</c>, one Adam step (PyTorch's defaults, lr 1e-3), zero_grad.
/// </summary>
public abstract class BenchNetwork
{
    /// <summary>Adam's learning rate in every training benchmark.</summary>
    public const float LearningRate = 1e-3f;

    /// <summary>The max norm of the gradient clipping in every training benchmark.</summary>
    public const float MaxGradNorm = 1f;

    /// <summary>The network this implements.</summary>
    public abstract NetworkId Network { get; }

    /// <summary>Weights and biases in PyTorch state_dict order and layout.</summary>
    public abstract Span<float> Parameters { get; }

    /// <summary>Accumulated gradients, same layout.</summary>
    public abstract Span<float> Gradients { get; }

    /// <summary>h, then c for the LSTM (the generated models' state layout for one layer).</summary>
    public abstract Span<float> State { get; }

    /// <summary>One step on the held state.</summary>
    public abstract void Step(ReadOnlySpan<float> input, Span<float> output);

    /// <summary><c>[T, Input]</c> in, <c>[T, 1]</c> out, on the held state.</summary>
    public abstract void Forward(ReadOnlySpan<float> inputs, Span<float> outputs);

    /// <summary>Zeroes the state, then BPTT over the window; adds into <see cref="Gradients"/>; returns the loss.</summary>
    public abstract float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets);

    /// <summary>Clips the gradients' 2-norm to <see cref="MaxGradNorm"/>, takes one Adam step and zeroes the gradients.</summary>
    public abstract void ClipStepZero();

    /// <summary>One full training iteration.</summary>
    public float TrainingIteration(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        float loss = Backward(inputs, targets);
        ClipStepZero();
        return loss;
    }

    /// <summary>Copies <paramref name="source"/>'s parameters in and zeroes the state.</summary>
    public void CopyParametersFrom(BenchNetwork source)
    {
        source.Parameters.CopyTo(Parameters);
        State.Clear();
    }
}
