using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Fixed.Engine;

/// <summary>
/// The dropout masks of one <c>Backward</c> call: PyTorch's inverted dropout between stacked layers (each unit of layer k's
/// output kept with probability <c>1 - p</c> and then scaled by <c>1 / (1 - p)</c>, or zeroed, on its way into layer k + 1).
/// </summary>
/// <remarks>
/// The mask is not stored: unit j's keep decision is a hash of (the model's seed, the call's number, the sequence in the
/// batch, the recorded step, the layer boundary, j), SplitMix64's finaliser applied once per coordinate, and a unit is kept
/// when the hash's top 32 bits fall below <c>(1 - p) · 2³²</c>. The backward sweep recomputes exactly the mask the forward
/// pass drew, so the tape holds nothing extra and any step's mask costs a few multiplies per unit, in any order.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct DropoutMask
{
    /// <summary>SplitMix64's increment (2⁶⁴ / φ, odd): coordinates i ≠ i' give keys that differ before the mix.</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    // Test hook: PyTorch's own masks, [sequence, step, boundary, unit] multipliers (0 or 1 / (1 - p), as F.dropout makes
    // them), used instead of the hash by every Backward on this thread while set (DropoutInjection).
    [ThreadStatic]
    private static float[]? t_injected;

    [ThreadStatic]
    private static int t_injectedSteps;

    private readonly ulong _call;
    private readonly ulong _threshold;
    private readonly float _scale;
    private readonly float[]? _injected;
    private readonly int _injectedSteps;

    private DropoutMask(ulong call, ulong threshold, float scale, float[]? injected, int injectedSteps)
    {
        _call = call;
        _threshold = threshold;
        _scale = scale;
        _injected = injected;
        _injectedSteps = injectedSteps;
    }

    /// <summary>The masks of call number <paramref name="call"/> of a stream seeded with <paramref name="seed"/>, at drop probability <paramref name="p"/>.</summary>
    internal static DropoutMask For(ulong seed, ulong call, double p) =>
        new(Mix(Mix(seed + Gamma) + (call * Gamma)), Threshold(p), Scale(p), t_injected, t_injectedSteps);

    /// <summary>
    /// The seed of recurrent layer <paramref name="layer"/> of a layer stack whose seed is <paramref name="seed"/>: its own
    /// stream, so that two layers of one shape do not draw the same masks. Layer 0's is the stack's seed itself.
    /// </summary>
    public static ulong LayerSeed(ulong seed, int layer) => seed + ((ulong)(uint)layer * Gamma);

    /// <summary>The kept fraction of the 2³² hash values: <c>round((1 - p) · 2³²)</c>, in [1, 2³²] for p in [0, 1).</summary>
    internal static ulong Threshold(double p) => (ulong)Math.Round((1 - p) * 4294967296.0);

    /// <summary>
    /// The factor of a kept unit, as PyTorch's <c>noise.div_(1 - p)</c> makes it: 1 divided by <c>1 - p</c> in float32
    /// (the difference taken in double, as Python's float does).
    /// </summary>
    internal static float Scale(double p) => 1f / (float)(1 - p);

    /// <summary>
    /// <paramref name="destination"/>[j] = <paramref name="source"/>[j] · m_j, m_j the multiplier (0 or <c>1 / (1 - p)</c>) of unit j
    /// of <paramref name="sequence"/>'s step <paramref name="step"/> at the boundary above layer <paramref name="boundary"/>
    /// (of <paramref name="boundaries"/>). The two spans may be the same.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public void Apply(int sequence, int step, int boundary, int boundaries, ReadOnlySpan<float> source, Span<float> destination)
    {
        int units = source.Length;
        if (_injected is { } injected)
        {
            ReadOnlySpan<float> multipliers = injected.AsSpan((((sequence * _injectedSteps) + step) * boundaries + boundary) * units, units);
            for (int j = 0; j < units; j++)
            {
                destination[j] = source[j] * multipliers[j];
            }

            return;
        }

        ulong row = Mix(Mix(Mix(_call + ((ulong)(uint)sequence * Gamma)) + ((ulong)(uint)step * Gamma)) + ((ulong)(uint)boundary * Gamma));
        for (int j = 0; j < units; j++)
        {
            destination[j] = source[j] * ((Mix(row + ((ulong)(uint)(j + 1) * Gamma)) >> 32) < _threshold ? _scale : 0f);
        }
    }

    /// <summary>SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijection of 64-bit values with full avalanche.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Tests only: until the returned scope is disposed, every Backward on this thread takes its masks from
    /// <paramref name="multipliers"/> (<c>[sequence, step, boundary, unit]</c>, <paramref name="steps"/> steps per sequence)
    /// instead of the hash, so that PyTorch's own masks can be replayed.
    /// </summary>
    internal static InjectionScope Inject(float[] multipliers, int steps)
    {
        t_injected = multipliers;
        t_injectedSteps = steps;
        return default;
    }

    /// <summary>Ends <see cref="Inject"/>.</summary>
    internal readonly struct InjectionScope : IDisposable
    {
        public void Dispose()
        {
            t_injected = null;
            t_injectedSteps = 0;
        }
    }
}
