using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// An optimizer bound to exactly one model at construction: its state is sized from that model and it can step
/// no other (PyTorch lets one optimizer be handed two models' parameters by mistake; here it cannot happen).
/// <see cref="Step"/> allocates nothing.
/// </summary>
public abstract class Optimizer
{
    private protected Optimizer(IParameters model, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.ParameterValues.Length != model.Gradients.Length)
        {
            throw new ArgumentException(
                $"model: Parameters has {model.ParameterValues.Length} floats but Gradients has {model.Gradients.Length}; they must have the same layout.",
                nameof(model));
        }

        CheckLearningRate(learningRate, nameof(learningRate));
        Model = model;
        ParameterCount = model.ParameterValues.Length;
        LearningRate = learningRate;
    }

    /// <summary>The model this optimizer steps; fixed at construction.</summary>
    public IParameters Model { get; }

    /// <summary>The number of parameters the optimizer's state was sized for.</summary>
    public int ParameterCount { get; }

    /// <summary>
    /// The learning rate of the next <see cref="Step"/>. A schedule (<see cref="ILearningRateSchedule"/>) sets it
    /// between steps, as PyTorch's <c>lr_scheduler</c> writes <c>param_groups[0]["lr"]</c>.
    /// </summary>
    public float LearningRate
    {
        get;
        set
        {
            CheckLearningRate(value, nameof(value));
            field = value;
        }
    }

    /// <summary>How many times <see cref="Step"/> has run (PyTorch's <c>state["step"]</c>).</summary>
    public long StepCount { get; private protected set; }

    /// <summary>The name written into checkpoints: "Sgd", "Adam" or "AdamW".</summary>
    public abstract string Name { get; }

    /// <summary>Updates the model's parameters from its gradients.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public void Step()
    {
        Span<float> parameters = Model.Parameters;
        ReadOnlySpan<float> gradients = Model.Gradients;
        if (parameters.Length != ParameterCount || gradients.Length != ParameterCount)
        {
            throw new InvalidOperationException(
                $"The model now has {parameters.Length} parameters and {gradients.Length} gradients, but this optimizer was built for {ParameterCount}.");
        }

        StepCount++;
        Update(parameters, gradients);
    }

    /// <summary>The hyperparameters, for a checkpoint's metadata.</summary>
    internal abstract IEnumerable<KeyValuePair<string, string>> Hyperparameters { get; }

    /// <summary>The per-parameter state buffers by name (e.g. exp_avg), for checkpoints.</summary>
    internal abstract IReadOnlyList<(string Name, AlignedBuffer Values)> Buffers { get; }

    /// <summary>Restores state read from a checkpoint (already validated).</summary>
    internal virtual void Restore(long stepCount, float learningRate)
    {
        StepCount = stepCount;
        LearningRate = learningRate;
    }

    private protected abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients);

    private protected static void CheckLearningRate(float value, string name)
    {
        if (!(value >= 0f) || float.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "The learning rate must be a finite number >= 0.");
        }
    }

    private protected static void CheckNonNegative(float value, string name)
    {
        if (!(value >= 0f) || float.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, name + " must be a finite number >= 0.");
        }
    }
}
