using System;
using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// The direction of the next sweep over a hidden matrix larger than L1 (<see cref="PackedMath.MultiplyAddAlternating{TVec}"/>),
/// flipped at every step. Kept per thread: the model is shared by threads that step their own states, and a flag in the
/// model written at every step by each of them would move its cache line between their cores. Which direction a step
/// takes changes where its weights are read from, never its results, so any sequence of directions is correct.
/// </summary>
internal static class SweepParity
{
    /// <summary>Hidden matrices larger than this (bytes) alternate: 32 KB, the L1 data cache of a Zen 4 and of Intel cores before Ice Lake.</summary>
    public const long AlternateAboveBytes = 32 * 1024;

    [ThreadStatic]
    private static bool t_backward;

    /// <summary>Flips this thread's direction and returns it: <see langword="true"/> on every other call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Next()
    {
        bool backward = !t_backward;
        t_backward = backward;
        return backward;
    }
}
