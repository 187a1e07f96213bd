using System;

namespace Fixed;

/// <summary>
/// A learning rate as a function of the epoch (or step) counter a training loop drives:
/// <c>optimizer.LearningRate = schedule.At(epoch)</c>, the closed forms of PyTorch's lr_scheduler classes.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for <paramref name="epoch"/> (0-based).</summary>
    float At(int epoch);
}

/// <summary><c>torch.optim.lr_scheduler.StepLR</c>: <c>lr = base · γ^⌊epoch / stepSize⌋</c>.</summary>
public sealed class StepDecay : ILearningRateSchedule
{
    private readonly float _baseLearningRate;
    private readonly int _stepSize;
    private readonly float _gamma;

    /// <summary>Decays <paramref name="baseLearningRate"/> by <paramref name="gamma"/> every <paramref name="stepSize"/> epochs.</summary>
    public StepDecay(float baseLearningRate, int stepSize, float gamma = 0.1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        if (!(gamma > 0f) || float.IsInfinity(gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be a finite number > 0.");
        }

        _baseLearningRate = baseLearningRate;
        _stepSize = stepSize;
        _gamma = gamma;
    }

    /// <inheritdoc />
    public float At(int epoch) => (float)(_baseLearningRate * Math.Pow(_gamma, Math.Max(0, epoch) / _stepSize));
}

/// <summary>
/// <c>torch.optim.lr_scheduler.CosineAnnealingLR</c> in closed form:
/// <c>lr = min + (base - min)(1 + cos(π·epoch/tMax))/2</c>. As in PyTorch, the cosine goes on past <c>tMax</c>
/// (back up to <c>base</c> at 2·tMax); stop calling it, or use warm restarts of your own, if that is not wanted.
/// </summary>
public sealed class CosineAnnealing : ILearningRateSchedule
{
    private readonly float _baseLearningRate;
    private readonly int _tMax;
    private readonly float _minimum;

    /// <summary>Anneals from <paramref name="baseLearningRate"/> to <paramref name="minimum"/> over <paramref name="tMax"/> epochs.</summary>
    public CosineAnnealing(float baseLearningRate, int tMax, float minimum = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tMax, 1);
        _baseLearningRate = baseLearningRate;
        _tMax = tMax;
        _minimum = minimum;
    }

    /// <inheritdoc />
    public float At(int epoch)
    {
        int t = Math.Max(0, epoch);
        return (float)(_minimum + (_baseLearningRate - _minimum) * (1 + Math.Cos(Math.PI * t / _tMax)) / 2);
    }
}
