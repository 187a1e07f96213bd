using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fixed;

/// <summary>
/// The cells' activations, fast and accurate in every vector width and in scalar form, all computing the same
/// formula so that every instruction-set path agrees. Both are built on one exp:
/// <c>σ(x) = 1 / (1 + e^-x)</c> and <c>tanh(x) = 1 - 2 / (1 + e^2x)</c>, which saturate (σ to 1, or to within 2e-38 of 0; tanh to exactly ±1)
/// for inputs of any magnitude (never ∞/∞), stay within 1e-6 of the exact functions (tested over the whole
/// float range), and propagate NaN as PyTorch does. ±∞ in gives the limits (σ: 0 or 1; tanh: ±1).
/// </summary>
/// <remarks>
/// exp is Cephes' <c>expf</c>: <c>x = n·ln2 + r</c> with a two-constant ln2 so that r is exact, a degree-6
/// polynomial for e^r (relative error ~1e-7) evaluated by Estrin's scheme (three dependent multiply-adds instead of
/// Horner's six: the activations sit on the recurrence's critical path, so their latency is the step's), and 2^n built in the exponent bits. Inputs are clamped to ±87 so
/// that 2^n stays a normal float; e^±87 is already beyond what σ and tanh can distinguish in float32.
/// The library exp (<c>Vector512.Exp</c>) measured about 5× slower than this one on the build machine when it was chosen.
/// </remarks>
internal static class Activations
{
    private const float Limit = 87f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;
    /// <summary>
    /// 1.5·2^23: adding it to a float of magnitude below 2^22 rounds it to an integer (to nearest, ties to even, as
    /// <c>MathF.Round</c>) held in the low mantissa bits, so one add replaces a round and a float-to-int conversion,
    /// and shifting those bits left by 23 gives n in the exponent field (the constant's own bits shift out).
    /// </summary>
    private const float RoundingShift = 12582912f;
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        x = Math.Clamp(x, -Limit, Limit);
        float n = MathF.Round(x * Log2E);
        float r = float.MultiplyAddEstimate(n, -Ln2High, x);
        r = float.MultiplyAddEstimate(n, -Ln2Low, r);
        float r2 = r * r;
        float p01 = float.MultiplyAddEstimate(P0, r, P1);
        float p23 = float.MultiplyAddEstimate(P2, r, P3);
        float p45 = float.MultiplyAddEstimate(P4, r, P5);
        float p = float.MultiplyAddEstimate(float.MultiplyAddEstimate(p01, r2, p23), r2, p45);
        p = float.MultiplyAddEstimate(p, r2, r + 1f);
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        x = Vector128.Clamp(x, Vector128.Create(-Limit), Vector128.Create(Limit));
        Vector128<float> shifted = (x * Log2E) + Vector128.Create(RoundingShift);
        Vector128<float> n = shifted - Vector128.Create(RoundingShift);
        Vector128<float> r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2High), x);
        r = Vector128.MultiplyAddEstimate(n, Vector128.Create(-Ln2Low), r);
        // Estrin's scheme: the same polynomial as Horner's, in three dependent steps instead of six.
        Vector128<float> r2 = r * r;
        Vector128<float> p01 = Vector128.MultiplyAddEstimate(Vector128.Create(P0), r, Vector128.Create(P1));
        Vector128<float> p23 = Vector128.MultiplyAddEstimate(Vector128.Create(P2), r, Vector128.Create(P3));
        Vector128<float> p45 = Vector128.MultiplyAddEstimate(Vector128.Create(P4), r, Vector128.Create(P5));
        Vector128<float> p = Vector128.MultiplyAddEstimate(Vector128.MultiplyAddEstimate(p01, r2, p23), r2, p45);
        p = Vector128.MultiplyAddEstimate(p, r2, r + Vector128<float>.One);
        Vector128<float> scale = (Vector128.ShiftLeft(shifted.AsInt32(), 23) + Vector128.Create(127 << 23)).AsSingle();
        return p * scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Clamp(x, Vector256.Create(-Limit), Vector256.Create(Limit));
        Vector256<float> shifted = (x * Log2E) + Vector256.Create(RoundingShift);
        Vector256<float> n = shifted - Vector256.Create(RoundingShift);
        Vector256<float> r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2High), x);
        r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-Ln2Low), r);
        // Estrin's scheme: the same polynomial as Horner's, in three dependent steps instead of six.
        Vector256<float> r2 = r * r;
        Vector256<float> p01 = Vector256.MultiplyAddEstimate(Vector256.Create(P0), r, Vector256.Create(P1));
        Vector256<float> p23 = Vector256.MultiplyAddEstimate(Vector256.Create(P2), r, Vector256.Create(P3));
        Vector256<float> p45 = Vector256.MultiplyAddEstimate(Vector256.Create(P4), r, Vector256.Create(P5));
        Vector256<float> p = Vector256.MultiplyAddEstimate(Vector256.MultiplyAddEstimate(p01, r2, p23), r2, p45);
        p = Vector256.MultiplyAddEstimate(p, r2, r + Vector256<float>.One);
        Vector256<float> scale = (Vector256.ShiftLeft(shifted.AsInt32(), 23) + Vector256.Create(127 << 23)).AsSingle();
        return p * scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Clamp(x, Vector512.Create(-Limit), Vector512.Create(Limit));
        Vector512<float> shifted = (x * Log2E) + Vector512.Create(RoundingShift);
        Vector512<float> n = shifted - Vector512.Create(RoundingShift);
        Vector512<float> r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2High), x);
        r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-Ln2Low), r);
        // Estrin's scheme: the same polynomial as Horner's, in three dependent steps instead of six.
        Vector512<float> r2 = r * r;
        Vector512<float> p01 = Vector512.MultiplyAddEstimate(Vector512.Create(P0), r, Vector512.Create(P1));
        Vector512<float> p23 = Vector512.MultiplyAddEstimate(Vector512.Create(P2), r, Vector512.Create(P3));
        Vector512<float> p45 = Vector512.MultiplyAddEstimate(Vector512.Create(P4), r, Vector512.Create(P5));
        Vector512<float> p = Vector512.MultiplyAddEstimate(Vector512.MultiplyAddEstimate(p01, r2, p23), r2, p45);
        p = Vector512.MultiplyAddEstimate(p, r2, r + Vector512<float>.One);
        Vector512<float> scale = (Vector512.ShiftLeft(shifted.AsInt32(), 23) + Vector512.Create(127 << 23)).AsSingle();
        return p * scale;
    }

    /// <summary>
    /// <c>1 / d</c>. With AVX-512 a 14-bit estimate (<c>vrcp14ps</c>) refined by one Newton step (relative error
    /// ~1e-8, within a unit or two of the last place) instead of <c>vdivps</c>, whose throughput is a fraction of the
    /// FMA units'; elsewhere a plain division.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Reciprocal(Vector512<float> d)
    {
        if (!Avx512F.IsSupported)
        {
            return Vector512<float>.One / d;
        }

        Vector512<float> r = Avx512F.Reciprocal14(d);
        return Vector512.MultiplyAddEstimate(r, Vector512.MultiplyAddEstimate(-d, r, Vector512<float>.One), r);
    }

    /// <inheritdoc cref="Reciprocal(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Reciprocal(Vector256<float> d)
    {
        if (!Avx512F.VL.IsSupported)
        {
            return Vector256<float>.One / d;
        }

        Vector256<float> r = Avx512F.VL.Reciprocal14(d);
        return Vector256.MultiplyAddEstimate(r, Vector256.MultiplyAddEstimate(-d, r, Vector256<float>.One), r);
    }

}

/// <summary><c>σ(x) = 1 / (1 + e^-x)</c>.</summary>
internal readonly struct SigmoidOperator : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => 1f / (1f + Activations.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / (Vector128<float>.One + Activations.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => Activations.Reciprocal(Vector256<float>.One + Activations.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => Activations.Reciprocal(Vector512<float>.One + Activations.Exp(-x));
}

/// <summary><c>tanh(x) = 1 - 2 / (1 + e^2x)</c>.</summary>
internal readonly struct TanhOperator : IUnaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => 1f - 2f / (1f + Activations.Exp(x + x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One - Vector128.Create(2f) / (Vector128<float>.One + Activations.Exp(x + x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.MultiplyAddEstimate(Vector256.Create(-2f), Activations.Reciprocal(Vector256<float>.One + Activations.Exp(x + x)), Vector256<float>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) =>
        Vector512.MultiplyAddEstimate(Vector512.Create(-2f), Activations.Reciprocal(Vector512<float>.One + Activations.Exp(x + x)), Vector512<float>.One);
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
