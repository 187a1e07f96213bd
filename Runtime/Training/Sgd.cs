using System.Runtime.CompilerServices;
using System;
using System.Collections.Generic;
using System.Globalization;

namespace Fixed;

/// <summary>
/// <c>torch.optim.SGD</c> (dampening 0): <c>d = g + λp</c>; with momentum <c>b = d</c> on the first step and
/// <c>b = μb + d</c> after, then <c>d = b</c> (or <c>d + μb</c> with Nesterov); <c>p -= lr·d</c>.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly AlignedBuffer _momentum;

    /// <summary>Binds SGD to <paramref name="model"/>.</summary>
    public Sgd(IParameters model, float lr, float momentum = 0, float weightDecay = 0, bool nesterov = false)
        : base(model, lr)
    {
        CheckNonNegative(momentum, nameof(momentum));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && momentum == 0f)
        {
            throw new ArgumentException("Nesterov momentum requires a momentum > 0 (as in PyTorch).", nameof(nesterov));
        }

        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        _momentum = new AlignedBuffer(momentum > 0f ? ParameterCount : 0);
    }

    /// <summary>The momentum factor μ.</summary>
    public float Momentum { get; }

    /// <summary>The L2 penalty λ added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    public override string Name => "Sgd";

    internal override IEnumerable<KeyValuePair<string, string>> Hyperparameters =>
    [
        new("momentum", Momentum.ToString("R", CultureInfo.InvariantCulture)),
        new("weight_decay", WeightDecay.ToString("R", CultureInfo.InvariantCulture)),
        new("nesterov", Nesterov ? "true" : "false"),
    ];

    internal override IReadOnlyList<(string Name, AlignedBuffer Values)> Buffers =>
        Momentum > 0f ? [("momentum_buffer", _momentum)] : [];

    [MethodImpl(CompiledAtOnce.Optimized)]
    private protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        float lr = LearningRate, mu = Momentum, decay = WeightDecay;
        bool first = StepCount == 1;
        Span<float> momentum = _momentum.Span;
        for (int i = 0; i < parameters.Length; i++)
        {
            float d = decay != 0f ? gradients[i] + decay * parameters[i] : gradients[i];
            if (mu != 0f)
            {
                float b = first ? d : mu * momentum[i] + d;
                momentum[i] = b;
                d = Nesterov ? d + mu * b : b;
            }

            parameters[i] -= lr * d;
        }
    }
}
