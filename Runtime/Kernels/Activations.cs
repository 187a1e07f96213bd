using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fixed;

/// <summary>
/// The cells' activations, fast and accurate in every vector width and in scalar form, all computing the same
/// formula so that every instruction-set path agrees: <c>tanh(x) ≈ x·P(x²)/Q(x²)</c>, a rational function with P and Q
/// of degree 4 in x², and <c>σ(x) = ½ + ½·tanh(x/2)</c> through the same P and Q (scaled by powers of two, so exactly).
/// Within 3e-7 of the exact functions over the whole float range (tested over it in <c>Runtime.Tests/Kernels</c>), exactly
/// ±1 (tanh) and 0 or 1 (σ) once saturated, NaN kept as PyTorch does; ±∞ in gives the limits.
/// </summary>
/// <remarks>
/// Why a rational function: both activations sit on the recurrence's critical path (a step's activations cannot start
/// before its matrix product ends, nor the next step's product before they end), so their latency, not their
/// throughput, is the step's. The exp-based forms this replaced (<c>1 - 2/(1 + e^2x)</c> with a Cephes exp) were about 17
/// dependent operations; this is 9 to the division and 11 in all: x² (clamped), x⁴, two levels of Estrin's scheme for P
/// and Q side by side, then tanh divides x·P by Q (one division, rounded once: the same bits in scalar and vector form)
/// and σ multiplies x·P by the reciprocal of Q in the fused ½ + ·, then the clamp.
/// The coefficients are a minimax fit of <c>tanh(x)/x</c> on [0, 9] made in double precision by
/// <c>scripts/fit_tanh_rational.py</c> (2.0e-8 from tanh there; ~2.4e-7 once evaluated in float32). x² is clamped at 81:
/// from |x| ≈ 8.18 on the quotient already rounds to 1 or more, and the clamp keeps a huge x from overflowing x⁴ into ∞/∞.
/// The final clamp to [-1, 1] (σ: [0, 1]) makes the saturated values exact.
/// </remarks>
internal static class Activations
{
    private const float SquareLimit = 81f;
    private const float P1 = 0.13380305469036102f;
    private const float P2 = 0.0034947432577610016f;
    private const float P3 = 2.0595818568835966e-05f;
    private const float P4 = 1.3337669635404836e-08f;
    private const float Q1 = 0.4671362340450287f;
    private const float Q2 = 0.025873735547065735f;
    private const float Q3 = 0.00032842790824361145f;
    private const float Q4 = 7.769303920213133e-07f;

    // σ(x) = ½ + (x/4)·P(x²/4)/Q(x²/4): the same polynomials in u = x², with P's k-th coefficient scaled by 4^-(k+1) and Q's
    // by 4^-k (powers of two: exact). u is clamped at 4·81.
    private const float SigmoidSquareLimit = 4f * SquareLimit;
    private const float SP0 = 0.25f;
    private const float SP1 = P1 / 16f;
    private const float SP2 = P2 / 64f;
    private const float SP3 = P3 / 256f;
    private const float SP4 = P4 / 1024f;
    private const float SQ1 = Q1 / 4f;
    private const float SQ2 = Q2 / 16f;
    private const float SQ3 = Q3 / 64f;
    private const float SQ4 = Q4 / 256f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x)
    {
        float s = MathF.Min(x * x, SquareLimit);
        float s2 = s * s;
        float p = float.MultiplyAddEstimate(s2, float.MultiplyAddEstimate(s2, P4, float.MultiplyAddEstimate(s, P3, P2)), float.MultiplyAddEstimate(s, P1, 1f));
        float q = float.MultiplyAddEstimate(s2, float.MultiplyAddEstimate(s2, Q4, float.MultiplyAddEstimate(s, Q3, Q2)), float.MultiplyAddEstimate(s, Q1, 1f));
        return Math.Clamp(x * p / q, -1f, 1f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x)
    {
        float s = MathF.Min(x * x, SigmoidSquareLimit);
        float s2 = s * s;
        float p = float.MultiplyAddEstimate(s2, float.MultiplyAddEstimate(s2, SP4, float.MultiplyAddEstimate(s, SP3, SP2)), float.MultiplyAddEstimate(s, SP1, SP0));
        float q = float.MultiplyAddEstimate(s2, float.MultiplyAddEstimate(s2, SQ4, float.MultiplyAddEstimate(s, SQ3, SQ2)), float.MultiplyAddEstimate(s, SQ1, 1f));
        return Math.Clamp(float.MultiplyAddEstimate(x * p, 1f / q, 0.5f), 0f, 1f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> x)
    {
        // x² clamped with the native min: a NaN x is lost from s, but not from x·p, which carries it to the result.
        Vector128<float> s = Vector128.MinNative(x * x, Vector128.Create(SquareLimit));
        Vector128<float> s2 = s * s;
        Vector128<float> p = Vector128.MultiplyAddEstimate(s2, Vector128.MultiplyAddEstimate(s2, Vector128.Create(P4), Vector128.MultiplyAddEstimate(s, Vector128.Create(P3), Vector128.Create(P2))),
            Vector128.MultiplyAddEstimate(s, Vector128.Create(P1), Vector128<float>.One));
        Vector128<float> q = Vector128.MultiplyAddEstimate(s2, Vector128.MultiplyAddEstimate(s2, Vector128.Create(Q4), Vector128.MultiplyAddEstimate(s, Vector128.Create(Q3), Vector128.Create(Q2))),
            Vector128.MultiplyAddEstimate(s, Vector128.Create(Q1), Vector128<float>.One));
        return Vector128.Clamp(x * p / q, Vector128.Create(-1f), Vector128<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sigmoid(Vector128<float> x)
    {
        Vector128<float> s = Vector128.MinNative(x * x, Vector128.Create(SigmoidSquareLimit));
        Vector128<float> s2 = s * s;
        Vector128<float> p = Vector128.MultiplyAddEstimate(s2, Vector128.MultiplyAddEstimate(s2, Vector128.Create(SP4), Vector128.MultiplyAddEstimate(s, Vector128.Create(SP3), Vector128.Create(SP2))),
            Vector128.MultiplyAddEstimate(s, Vector128.Create(SP1), Vector128.Create(SP0)));
        Vector128<float> q = Vector128.MultiplyAddEstimate(s2, Vector128.MultiplyAddEstimate(s2, Vector128.Create(SQ4), Vector128.MultiplyAddEstimate(s, Vector128.Create(SQ3), Vector128.Create(SQ2))),
            Vector128.MultiplyAddEstimate(s, Vector128.Create(SQ1), Vector128<float>.One));
        return ClampUnit(Vector128.MultiplyAddEstimate(x * p, (Vector128<float>.One / q), Vector128.Create(0.5f)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        // x² clamped with the native min: a NaN x is lost from s, but not from x·p, which carries it to the result.
        Vector256<float> s = Vector256.MinNative(x * x, Vector256.Create(SquareLimit));
        Vector256<float> s2 = s * s;
        Vector256<float> p = Vector256.MultiplyAddEstimate(s2, Vector256.MultiplyAddEstimate(s2, Vector256.Create(P4), Vector256.MultiplyAddEstimate(s, Vector256.Create(P3), Vector256.Create(P2))),
            Vector256.MultiplyAddEstimate(s, Vector256.Create(P1), Vector256<float>.One));
        Vector256<float> q = Vector256.MultiplyAddEstimate(s2, Vector256.MultiplyAddEstimate(s2, Vector256.Create(Q4), Vector256.MultiplyAddEstimate(s, Vector256.Create(Q3), Vector256.Create(Q2))),
            Vector256.MultiplyAddEstimate(s, Vector256.Create(Q1), Vector256<float>.One));
        return Vector256.Clamp(x * p / q, Vector256.Create(-1f), Vector256<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        Vector256<float> s = Vector256.MinNative(x * x, Vector256.Create(SigmoidSquareLimit));
        Vector256<float> s2 = s * s;
        Vector256<float> p = Vector256.MultiplyAddEstimate(s2, Vector256.MultiplyAddEstimate(s2, Vector256.Create(SP4), Vector256.MultiplyAddEstimate(s, Vector256.Create(SP3), Vector256.Create(SP2))),
            Vector256.MultiplyAddEstimate(s, Vector256.Create(SP1), Vector256.Create(SP0)));
        Vector256<float> q = Vector256.MultiplyAddEstimate(s2, Vector256.MultiplyAddEstimate(s2, Vector256.Create(SQ4), Vector256.MultiplyAddEstimate(s, Vector256.Create(SQ3), Vector256.Create(SQ2))),
            Vector256.MultiplyAddEstimate(s, Vector256.Create(SQ1), Vector256<float>.One));
        return ClampUnit(Vector256.MultiplyAddEstimate(x * p, Reciprocal(q), Vector256.Create(0.5f)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        // x² clamped with the native min: a NaN x is lost from s, but not from x·p, which carries it to the result.
        Vector512<float> s = Vector512.MinNative(x * x, Vector512.Create(SquareLimit));
        Vector512<float> s2 = s * s;
        Vector512<float> p = Vector512.MultiplyAddEstimate(s2, Vector512.MultiplyAddEstimate(s2, Vector512.Create(P4), Vector512.MultiplyAddEstimate(s, Vector512.Create(P3), Vector512.Create(P2))),
            Vector512.MultiplyAddEstimate(s, Vector512.Create(P1), Vector512<float>.One));
        Vector512<float> q = Vector512.MultiplyAddEstimate(s2, Vector512.MultiplyAddEstimate(s2, Vector512.Create(Q4), Vector512.MultiplyAddEstimate(s, Vector512.Create(Q3), Vector512.Create(Q2))),
            Vector512.MultiplyAddEstimate(s, Vector512.Create(Q1), Vector512<float>.One));
        return Vector512.Clamp(x * p / q, Vector512.Create(-1f), Vector512<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
    {
        Vector512<float> s = Vector512.MinNative(x * x, Vector512.Create(SigmoidSquareLimit));
        Vector512<float> s2 = s * s;
        Vector512<float> p = Vector512.MultiplyAddEstimate(s2, Vector512.MultiplyAddEstimate(s2, Vector512.Create(SP4), Vector512.MultiplyAddEstimate(s, Vector512.Create(SP3), Vector512.Create(SP2))),
            Vector512.MultiplyAddEstimate(s, Vector512.Create(SP1), Vector512.Create(SP0)));
        Vector512<float> q = Vector512.MultiplyAddEstimate(s2, Vector512.MultiplyAddEstimate(s2, Vector512.Create(SQ4), Vector512.MultiplyAddEstimate(s, Vector512.Create(SQ3), Vector512.Create(SQ2))),
            Vector512.MultiplyAddEstimate(s, Vector512.Create(SQ1), Vector512<float>.One));
        return ClampUnit(Vector512.MultiplyAddEstimate(x * p, Reciprocal(q), Vector512.Create(0.5f)));
    }

    /// <summary>
    /// σ's final clamp to [0, 1] in two instructions, NaN kept: <c>max(0, v)</c> then <c>min(1, ·)</c> with the native
    /// instructions, which return their second operand when either is NaN (x64 <c>maxps</c>/<c>minps</c>; ARM64's
    /// <c>fmax</c>/<c>fmin</c> return NaN anyway). <see cref="Vector512.Clamp{T}(Vector512{T}, Vector512{T}, Vector512{T})"/>
    /// takes four on x64 (a zero, <c>max</c>, <c>vfixupimmps</c>, <c>min</c>), the fix-up ordering −0 below +0; σ's value
    /// ½ + x·P/Q is never −0, so the order of zeros cannot arise here. It sits on the recurrence's critical path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ClampUnit(Vector512<float> v) => Vector512.MinNative(Vector512<float>.One, Vector512.MaxNative(Vector512<float>.Zero, v));

    /// <inheritdoc cref="ClampUnit(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ClampUnit(Vector256<float> v) => Vector256.MinNative(Vector256<float>.One, Vector256.MaxNative(Vector256<float>.Zero, v));

    /// <inheritdoc cref="ClampUnit(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ClampUnit(Vector128<float> v) => Vector128.MinNative(Vector128<float>.One, Vector128.MaxNative(Vector128<float>.Zero, v));

    /// <summary>
    /// <c>1 / d</c>, a division (correctly rounded), on every instruction set: σ, its one user since tanh divides x·P by Q
    /// directly, is then the same bits on every x64 path. Until 2026-12-03 AVX-512 took a 14-bit estimate (<c>vrcp14ps</c>) and one Newton step instead: three
    /// operations on the FMA pipes where the division takes none (the divider is a unit of its own), and a longer chain.
    /// Measured side by side on a Zen 4 core, the division made σ 5 % and tanh 8 % faster and the straight steps 2–9 %
    /// faster (docs/performance.md, "A Zen 4 day"). On Intel's AVX-512 cores a 512-bit division has a longer latency;
    /// that was not measured here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Reciprocal(Vector512<float> d) => Vector512<float>.One / d;

    /// <inheritdoc cref="Reciprocal(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Reciprocal(Vector256<float> d) => Vector256<float>.One / d;

}

/// <summary><c>σ(x) = 1 / (1 + e^-x)</c> (<see cref="Activations"/>).</summary>
internal readonly struct SigmoidOperator : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => Activations.Sigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => Activations.Sigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => Activations.Sigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => Activations.Sigmoid(x);
}

/// <summary><c>tanh(x)</c> (<see cref="Activations"/>).</summary>
internal readonly struct TanhOperator : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => Activations.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => Activations.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => Activations.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => Activations.Tanh(x);
}

/// <summary><c>max(x, 0)</c>, NaN kept.</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => x > 0f ? x : (float.IsNaN(x) ? x : 0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}
