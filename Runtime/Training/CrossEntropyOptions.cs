using System.Runtime.CompilerServices;
using System;
using System.Globalization;

namespace Fixed;

/// <summary>
/// The arguments of <c>nn.CrossEntropyLoss(weight=, label_smoothing=)</c>, set once on a model
/// (<c>model.CrossEntropyOptions = new(weight: [1f, 4f, 2f], labelSmoothing: 0.1f)</c>) and used by every
/// <see cref="Loss.CrossEntropy"/> loss it computes — each <c>Backward</c> and <c>Evaluate</c> — exactly as PyTorch's
/// mean reduction: a sample with target y weighs <c>weight[y]</c>, the mean divides by the sum of the targets' weights
/// (not by their number), and label smoothing ε mixes in the uniform distribution, weighted too:
/// <c>loss_i = (1 - ε) · w[y] · (-log p[y]) + ε / C · Σ_c w[c] · (-log p[c])</c>. Immutable (the weights are copied), so
/// one instance may be shared; null on the model (the default) is plain <c>nn.CrossEntropyLoss()</c>. Other losses ignore it.
/// </summary>
public sealed class CrossEntropyOptions
{
    private readonly float[]? _weight;
    private readonly double _weightSum;

    /// <summary>
    /// <paramref name="weight"/>: one finite, non-negative weight per class (<c>OutputSize</c> of them), or empty for
    /// every class weighing 1 (PyTorch's <c>weight=None</c>); <paramref name="labelSmoothing"/>: in [0, 1].
    /// </summary>
    public CrossEntropyOptions(ReadOnlySpan<float> weight = default, float labelSmoothing = 0f)
    {
        for (int c = 0; c < weight.Length; c++)
        {
            if (!(weight[c] >= 0f && float.IsFinite(weight[c])))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"weight[{c}] = {weight[c]}: every class weight must be finite and non-negative."), nameof(weight));
            }
        }

        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "labelSmoothing must be in [0, 1], as PyTorch requires.");
        }

        _weight = weight.IsEmpty ? null : weight.ToArray();
        foreach (float w in weight)
        {
            _weightSum += w;
        }

        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The class weights; empty when every class weighs 1.</summary>
    public ReadOnlySpan<float> Weight => _weight;

    /// <summary>ε: the share of the uniform distribution mixed into each one-hot target.</summary>
    public float LabelSmoothing { get; }

    /// <summary>What the mean divides by: the sum of the weights of <paramref name="targets"/>' classes (their number when unweighted).</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    internal double Divisor(ReadOnlySpan<float> targets, int count)
    {
        if (_weight is null)
        {
            return count;
        }

        double sum = 0;
        foreach (float t in targets)
        {
            sum += _weight[(int)t];
        }

        return CheckDivisor(sum);
    }

    internal double WeightOf(int target) => _weight is null ? 1.0 : _weight[target];

    internal bool Weighted => _weight is not null;

    internal static double CheckDivisor(double sum) => sum > 0
        ? sum
        : throw new ArgumentException("targets: the class weights of every target sum to 0, so the weighted mean is undefined (PyTorch returns NaN): give the targets' classes a positive weight.", "targets");

    /// <summary>
    /// One sample's weighted, smoothed loss (unreduced), with the logits overwritten by dLoss/dLogits times
    /// <paramref name="scale"/> (1 / the batch's <see cref="Divisor"/>). With p = softmax(z), a = (1 - ε) w[y] + ε/C Σ_c w[c]:
    /// dLoss/dz_j = a · p_j - (1 - ε) w[y] [j = y] - ε/C · w[j].
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    internal double Apply(Span<float> logits, int target, float scale)
    {
        int classes = logits.Length;
        float max = float.NegativeInfinity;
        for (int i = 0; i < classes; i++)
        {
            max = MathF.Max(max, logits[i]);
        }

        double total = 0;
        for (int i = 0; i < classes; i++)
        {
            total += Math.Exp(logits[i] - max);
        }

        double logSum = Math.Log(total) + max;
        double epsilon = LabelSmoothing, uniform = epsilon / classes;
        double wy = WeightOf(target), weightSum = _weight is null ? classes : _weightSum;
        double smooth = 0;
        for (int c = 0; c < classes; c++)
        {
            smooth += WeightOf(c) * (logSum - logits[c]);
        }

        double loss = (1 - epsilon) * wy * (logSum - logits[target]) + uniform * smooth;
        double a = (1 - epsilon) * wy + uniform * weightSum;
        for (int j = 0; j < classes; j++)
        {
            double p = Math.Exp(logits[j] - logSum);
            double gradient = a * p - (j == target ? (1 - epsilon) * wy : 0) - uniform * WeightOf(j);
            logits[j] = (float)(gradient * scale);
        }

        return loss;
    }

    /// <summary>Checks options against a model's class count before the model keeps them.</summary>
    internal static CrossEntropyOptions? Check(CrossEntropyOptions? options, int classes)
    {
        if (options?._weight is { } weight && weight.Length != classes)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"CrossEntropyOptions: weight has {weight.Length} values, but the model has OutputSize = {classes} classes: give one weight per class."),
                "value");
        }

        return options;
    }
}
