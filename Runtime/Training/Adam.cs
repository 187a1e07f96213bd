using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fixed;

/// <summary>
/// <c>torch.optim.Adam</c> (amsgrad off): moments <c>m = β1·m + (1-β1)·g</c>, <c>v = β2·v + (1-β2)·g²</c>, and
/// <c>p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)</c>; weight decay is the L2 term added to <c>g</c>.
/// </summary>
public sealed class Adam : AdamOptimizer
{
    /// <summary>Binds Adam to <paramref name="model"/>.</summary>
    public Adam(IParameters model, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0)
        : base(model, lr, beta1, beta2, eps, weightDecay, decoupled: false)
    {
    }

    /// <inheritdoc />
    public override string Name => "Adam";
}

/// <summary>
/// <c>torch.optim.AdamW</c>: Adam with decoupled weight decay, <c>p *= 1 - lr·λ</c> before the Adam update;
/// default λ = 1e-2.
/// </summary>
public sealed class AdamW : AdamOptimizer
{
    /// <summary>Binds AdamW to <paramref name="model"/>.</summary>
    public AdamW(IParameters model, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 1e-2f)
        : base(model, lr, beta1, beta2, eps, weightDecay, decoupled: true)
    {
    }

    /// <inheritdoc />
    public override string Name => "AdamW";
}

/// <summary>What <see cref="Adam"/> and <see cref="AdamW"/> share: hyperparameters, moment buffers, the update.</summary>
public abstract class AdamOptimizer : Optimizer
{
    private readonly AdamCore _core;
    private readonly bool _decoupled;

    private protected AdamOptimizer(IParameters model, float lr, float beta1, float beta2, float eps, float weightDecay, bool decoupled)
        : base(model, lr)
    {
        _core = new AdamCore(ParameterCount, beta1, beta2, eps, weightDecay);
        _decoupled = decoupled;
    }

    /// <summary>β1.</summary>
    public float Beta1 => _core.Beta1;

    /// <summary>β2.</summary>
    public float Beta2 => _core.Beta2;

    /// <summary>ε.</summary>
    public float Eps => _core.Eps;

    /// <summary>The weight decay λ: an L2 term added to the gradient (Adam), or decoupled (AdamW).</summary>
    public float WeightDecay => _core.WeightDecay;

    internal override IEnumerable<KeyValuePair<string, string>> Hyperparameters => _core.Hyperparameters;

    internal override IReadOnlyList<(string Name, AlignedBuffer Values)> Buffers => _core.Buffers;

    [MethodImpl(CompiledAtOnce.Optimized)]
    private protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients) =>
        _core.Update(parameters, gradients, LearningRate, StepCount, _decoupled);
}

/// <summary>The arithmetic Adam and AdamW share, in PyTorch's order of operations.</summary>
internal sealed class AdamCore
{
    // 64-byte aligned like the parameters and gradients they are read beside (AlignedBuffer).
    private readonly AlignedBuffer _expAvg;
    private readonly AlignedBuffer _expAvgSq;

    public AdamCore(int count, float beta1, float beta2, float eps, float weightDecay)
    {
        if (!(beta1 >= 0f && beta1 < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        }

        if (!(beta2 >= 0f && beta2 < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        }

        if (!(eps >= 0f) || float.IsInfinity(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite number >= 0.");
        }

        if (!(weightDecay >= 0f) || float.IsInfinity(weightDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weightDecay must be a finite number >= 0.");
        }

        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _expAvg = new AlignedBuffer(count);
        _expAvgSq = new AlignedBuffer(count);
    }

    public float Beta1 { get; }

    public float Beta2 { get; }

    public float Eps { get; }

    public float WeightDecay { get; }

    public IEnumerable<KeyValuePair<string, string>> Hyperparameters =>
    [
        new("beta1", Beta1.ToString("R", CultureInfo.InvariantCulture)),
        new("beta2", Beta2.ToString("R", CultureInfo.InvariantCulture)),
        new("eps", Eps.ToString("R", CultureInfo.InvariantCulture)),
        new("weight_decay", WeightDecay.ToString("R", CultureInfo.InvariantCulture)),
    ];

    public IReadOnlyList<(string Name, AlignedBuffer Values)> Buffers => [("exp_avg", _expAvg), ("exp_avg_sq", _expAvgSq)];

    [MethodImpl(CompiledAtOnce.Optimized)]
    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step, bool decoupled)
    {
        // PyTorch computes the bias corrections and the step size as Python floats (double), then applies them in float32.
        double correction1 = 1.0 - Math.Pow(Beta1, step);
        double correction2Sqrt = Math.Sqrt(1.0 - Math.Pow(Beta2, step));
        float stepSize = (float)(learningRate / correction1);
        float correction2 = (float)correction2Sqrt;
        float beta1 = Beta1, beta2 = Beta2, eps = Eps, decay = WeightDecay;
        float shrink = 1f - learningRate * decay;
        int i = 0;
        ref float rp = ref MemoryMarshal.GetReference(parameters);
        ref float rg = ref MemoryMarshal.GetReference(gradients);
        Span<float> expAvg = _expAvg.Span;
        Span<float> expAvgSq = _expAvgSq.Span;
        ref float rm = ref MemoryMarshal.GetReference(expAvg);
        ref float rv = ref MemoryMarshal.GetReference(expAvgSq);
        // The same arithmetic as the scalar loop below (no multiply fused with an add; division and square root are correctly
        // rounded at every width), sixteen or eight parameters at a time. The one change of form: √v / correction2 is the
        // correctly rounded quotient computed from the divisor's reciprocal (QuotientByConstant), the same bits as the division.
        if (Path512.Emulated || Vector512.IsHardwareAccelerated)
        {
            i = UpdateVectors<Simd512>(ref rp, ref rg, ref rm, ref rv, parameters.Length, i, stepSize, correction2, shrink, decoupled);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            i = UpdateVectors<Simd256>(ref rp, ref rg, ref rm, ref rv, parameters.Length, i, stepSize, correction2, shrink, decoupled);
        }

        for (; i < parameters.Length; i++)
        {
            float p = parameters[i];
            float g = gradients[i];
            if (decoupled)
            {
                p *= shrink;
            }
            else if (decay != 0f)
            {
                g += decay * p;
            }

            float m = expAvg[i] + (g - expAvg[i]) * (1f - beta1);
            float v = beta2 * expAvgSq[i] + (1f - beta2) * g * g;
            expAvg[i] = m;
            expAvgSq[i] = v;
            p -= stepSize * (m / (MathF.Sqrt(v) / correction2 + eps));
            parameters[i] = p;
        }
    }

    /// <summary>Whole vectors of <typeparamref name="TVec"/> from <paramref name="i"/>; returns where the next width (or the scalar loop) starts.</summary>
    // Optimized at its first call too: the 256-bit instance, after the 512-bit one, is past Update's inlining budget.
    [MethodImpl(MethodImplOptions.AggressiveInlining | CompiledAtOnce.Optimized)]
    private int UpdateVectors<TVec>(ref float rp, ref float rg, ref float rm, ref float rv, int length, int i, float stepSize, float correction2,
        float shrink, bool decoupled)
        where TVec : struct, ISimd<TVec>
    {
        TVec decay = TVec.Broadcast(WeightDecay);
        TVec keep1 = TVec.Broadcast(1f - Beta1), beta2 = TVec.Broadcast(Beta2), keep2 = TVec.Broadcast(1f - Beta2);
        TVec step = TVec.Broadcast(stepSize), eps = TVec.Broadcast(Eps), scale = TVec.Broadcast(shrink);
        TVec negatedCorrection = TVec.Broadcast(-correction2), reciprocal = TVec.Broadcast(1f / correction2);
        for (; i <= length - TVec.Count; i += TVec.Count)
        {
            TVec p = TVec.Load(ref rp, (nuint)i);
            TVec g = TVec.Load(ref rg, (nuint)i);
            if (decoupled)
            {
                p = TVec.Multiply(p, scale);
            }
            else if (WeightDecay != 0f)
            {
                g = TVec.Add(g, TVec.Multiply(decay, p));
            }

            TVec m0 = TVec.Load(ref rm, (nuint)i);
            TVec m = TVec.Add(m0, TVec.Multiply(TVec.Subtract(g, m0), keep1));
            TVec v = TVec.Add(TVec.Multiply(beta2, TVec.Load(ref rv, (nuint)i)), TVec.Multiply(TVec.Multiply(keep2, g), g));
            TVec.Store(m, ref rm, (nuint)i);
            TVec.Store(v, ref rv, (nuint)i);
            p = TVec.Subtract(p, TVec.Multiply(step, TVec.Divide(m, TVec.Add(QuotientByConstant(TVec.Sqrt(v), negatedCorrection, reciprocal), eps))));
            TVec.Store(p, ref rp, (nuint)i);
        }

        return i;
    }

    /// <summary>
    /// <c>a / c</c> correctly rounded, as the division gives it, for <c>a = √v</c> (zero, +∞, NaN, or between 2⁻⁷⁵ and 2⁶⁴) and
    /// a divisor <c>c</c> in (0, 1] (Adam's <c>√(1 − β₂ᵗ)</c>, at least 2⁻¹² for any β₂ below 1 in float), from
    /// <paramref name="reciprocal"/> = <c>1 / c</c> correctly rounded and <paramref name="negatedDivisor"/> = <c>−c</c>:
    /// <c>q = a·(1/c)</c>, the remainder <c>r = a − q·c</c> (exact in one fused multiply-add) and <c>q + r·(1/c)</c>, rounded
    /// once. Markstein's theorem: when the reciprocal is correctly rounded and q is within an ulp of a/c, that last
    /// step is the correctly rounded quotient, provided r is exact and nothing overflows. Here q ≥ a ≥ 2⁻⁷⁵ and c ≥ 2⁻¹²
    /// make r a multiple of 2⁻¹³³, so it is exact even where it is subnormal, and q stays below 2⁷⁶. Checked against the
    /// division over all 2²³ significands of a for 3,107 divisors (Adam's corrections for seven β₂ over 300 steps, random
    /// and edge significands: no difference), and in <c>AdamQuotientTests</c>. Four operations on the FMA pipes instead
    /// of the divider, which the square root and Adam's other division keep busy. a = +∞ makes r NaN (∞ − ∞), so r takes
    /// <see cref="ISimd{TSelf}.MinNative"/> with +∞, which returns its second operand for a NaN on x64 (the only target
    /// where Adam's vector loops run: they need Vector256 or Vector512): q' = ∞ as the division gives; a NaN a is NaN in q.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec QuotientByConstant<TVec>(TVec a, TVec negatedDivisor, TVec reciprocal)
        where TVec : struct, ISimd<TVec>
    {
        TVec q = TVec.Multiply(a, reciprocal);
        TVec remainder = TVec.MinNative(TVec.FusedMultiplyAdd(q, negatedDivisor, a), TVec.Broadcast(float.PositiveInfinity));
        return TVec.FusedMultiplyAdd(remainder, reciprocal, q);
    }
}
