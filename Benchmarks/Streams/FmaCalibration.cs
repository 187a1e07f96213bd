using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fixed.Benchmarks.Streams;

/// <summary>
/// The machine's multiply-add rate, measured in the run that uses it: twelve independent FMA chains on the widest
/// accelerated vector (twelve chains of 4-cycle latency keep two FMA pipes busy), so the loop retires FMAs as fast as
/// the core can. The many-streams report divides a network's multiply-adds by this rate to get its floor.
/// </summary>
/// <remarks>
/// The loops are compiled fully optimised at their first call (<see cref="MethodImplOptions.AggressiveOptimization"/>):
/// under tiering the first samples ran in tier-0 code, spilling every vector to the stack, and the median of a run's
/// samples then halved the rate whenever the tier-0 samples were the majority (GRU 1→32's floor read 54.5 ns in one run,
/// 29 in the next).
/// </remarks>
internal static class FmaCalibration
{
    private const long Iterations = 200_000;

    /// <summary>Lanes of the vector the calibration loop (and the kernels) use.</summary>
    public static int Lanes => Vector512.IsHardwareAccelerated ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<float>.Count
        : Vector128.IsHardwareAccelerated ? Vector128<float>.Count : 1;

    /// <summary>One sample: scalar multiply-adds per nanosecond (12 chains × iterations × lanes ÷ elapsed).</summary>
    public static double MultiplyAddsPerNanosecond()
    {
        long start = Stopwatch.GetTimestamp();
        float sink = Lanes switch
        {
            16 => Loop512(Iterations),
            8 => Loop256(Iterations),
            4 => Loop128(Iterations),
            _ => LoopScalar(Iterations),
        };
        double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
        GC.KeepAlive(sink);
        return 12.0 * Iterations * Lanes / ns;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop512(long n)
    {
        var m = Vector512.Create(0.999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(0.10f), a1 = Vector512.Create(0.11f), a2 = Vector512.Create(0.12f), a3 = Vector512.Create(0.13f);
        Vector512<float> a4 = Vector512.Create(0.14f), a5 = Vector512.Create(0.15f), a6 = Vector512.Create(0.16f), a7 = Vector512.Create(0.17f);
        Vector512<float> a8 = Vector512.Create(0.18f), a9 = Vector512.Create(0.19f), a10 = Vector512.Create(0.20f), a11 = Vector512.Create(0.21f);
        for (long i = 0; i < n; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c);
            a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c);
            a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c);
            a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c);
            a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop256(long n)
    {
        var m = Vector256.Create(0.999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(0.10f), a1 = Vector256.Create(0.11f), a2 = Vector256.Create(0.12f), a3 = Vector256.Create(0.13f);
        Vector256<float> a4 = Vector256.Create(0.14f), a5 = Vector256.Create(0.15f), a6 = Vector256.Create(0.16f), a7 = Vector256.Create(0.17f);
        Vector256<float> a8 = Vector256.Create(0.18f), a9 = Vector256.Create(0.19f), a10 = Vector256.Create(0.20f), a11 = Vector256.Create(0.21f);
        for (long i = 0; i < n; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c);
            a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }

        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop128(long n)
    {
        var m = Vector128.Create(0.999999f);
        var c = Vector128.Create(1e-7f);
        Vector128<float> a0 = Vector128.Create(0.10f), a1 = Vector128.Create(0.11f), a2 = Vector128.Create(0.12f), a3 = Vector128.Create(0.13f);
        Vector128<float> a4 = Vector128.Create(0.14f), a5 = Vector128.Create(0.15f), a6 = Vector128.Create(0.16f), a7 = Vector128.Create(0.17f);
        Vector128<float> a8 = Vector128.Create(0.18f), a9 = Vector128.Create(0.19f), a10 = Vector128.Create(0.20f), a11 = Vector128.Create(0.21f);
        for (long i = 0; i < n; i++)
        {
            a0 = Vector128.FusedMultiplyAdd(a0, m, c);
            a1 = Vector128.FusedMultiplyAdd(a1, m, c);
            a2 = Vector128.FusedMultiplyAdd(a2, m, c);
            a3 = Vector128.FusedMultiplyAdd(a3, m, c);
            a4 = Vector128.FusedMultiplyAdd(a4, m, c);
            a5 = Vector128.FusedMultiplyAdd(a5, m, c);
            a6 = Vector128.FusedMultiplyAdd(a6, m, c);
            a7 = Vector128.FusedMultiplyAdd(a7, m, c);
            a8 = Vector128.FusedMultiplyAdd(a8, m, c);
            a9 = Vector128.FusedMultiplyAdd(a9, m, c);
            a10 = Vector128.FusedMultiplyAdd(a10, m, c);
            a11 = Vector128.FusedMultiplyAdd(a11, m, c);
        }

        return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float LoopScalar(long n)
    {
        float a0 = 0.10f, a1 = 0.11f, a2 = 0.12f, a3 = 0.13f, a4 = 0.14f, a5 = 0.15f;
        float a6 = 0.16f, a7 = 0.17f, a8 = 0.18f, a9 = 0.19f, a10 = 0.20f, a11 = 0.21f;
        for (long i = 0; i < n; i++)
        {
            a0 = MathF.FusedMultiplyAdd(a0, 0.999999f, 1e-7f);
            a1 = MathF.FusedMultiplyAdd(a1, 0.999999f, 1e-7f);
            a2 = MathF.FusedMultiplyAdd(a2, 0.999999f, 1e-7f);
            a3 = MathF.FusedMultiplyAdd(a3, 0.999999f, 1e-7f);
            a4 = MathF.FusedMultiplyAdd(a4, 0.999999f, 1e-7f);
            a5 = MathF.FusedMultiplyAdd(a5, 0.999999f, 1e-7f);
            a6 = MathF.FusedMultiplyAdd(a6, 0.999999f, 1e-7f);
            a7 = MathF.FusedMultiplyAdd(a7, 0.999999f, 1e-7f);
            a8 = MathF.FusedMultiplyAdd(a8, 0.999999f, 1e-7f);
            a9 = MathF.FusedMultiplyAdd(a9, 0.999999f, 1e-7f);
            a10 = MathF.FusedMultiplyAdd(a10, 0.999999f, 1e-7f);
            a11 = MathF.FusedMultiplyAdd(a11, 0.999999f, 1e-7f);
        }

        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    }
}
