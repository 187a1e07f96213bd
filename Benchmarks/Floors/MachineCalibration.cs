using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Fixed.Benchmarks.Streams;

namespace Fixed.Benchmarks.Floors;

/// <summary>
/// The machine constants the floors are built from, each measured in the run that uses it, on the widest accelerated
/// vector (the one the kernels use): the multiply-add rate (<see cref="FmaCalibration"/>), the latency of one FMA, of
/// the library's own σ and tanh (a chain in which every call reads the previous result), and the rate at which the core
/// reads a buffer that fits L2 but not L1.
/// </summary>
/// <remarks>
/// Every loop is compiled fully optimised at its first call (<see cref="MethodImplOptions.AggressiveOptimization"/>), so no
/// sample runs tier-0 code. Each constant is the best of several samples: the quantity is a property of the core, and a
/// slower sample is a sample the scheduler or a neighbour interrupted.
/// </remarks>
internal static class MachineCalibration
{
    private const int Samples = 9;
    private const long ChainLength = 2_000_000;

    /// <summary>The L1 data cache in bytes (<c>getconf</c>), or 48 KB if it does not say.</summary>
    public static int L1DataBytes { get; } = CacheSize("LEVEL1_DCACHE_SIZE", 49_152);

    /// <summary>The L2 cache in bytes (<c>getconf</c>), or 1 MB if it does not say.</summary>
    public static int L2Bytes { get; } = CacheSize("LEVEL2_CACHE_SIZE", 1 << 20);

    /// <summary>Scalar multiply-adds per nanosecond at full rate: the best of several samples.</summary>
    public static double MultiplyAddsPerNanosecond()
    {
        double best = 0;
        for (int i = 0; i < Samples; i++)
        {
            best = Math.Max(best, FmaCalibration.MultiplyAddsPerNanosecond());
        }

        return best;
    }

    /// <summary>Nanoseconds of one vector FMA whose input is the previous FMA's result.</summary>
    public static double FmaLatencyNanoseconds() => Best(static n => FmaChain(n), ChainLength);

    /// <summary>Nanoseconds of one vector σ (the library's, as the cells use it) whose input is the previous σ's result.</summary>
    public static double SigmoidLatencyNanoseconds() => Best(static n => SigmoidChain(n), ChainLength / 8);

    /// <summary>Nanoseconds of one vector tanh (the library's) whose input is the previous tanh's result.</summary>
    public static double TanhLatencyNanoseconds() => Best(static n => TanhChain(n), ChainLength / 8);

    /// <summary>
    /// Bytes per nanosecond read from a buffer of half the L2, four times L1, summed with independent vector adds: what a
    /// kernel sweeping weights that do not fit L1 can read at best.
    /// </summary>
    public static double L2BytesPerNanosecond()
    {
        int floats = Math.Min(L2Bytes / 2, 4 * L1DataBytes) / sizeof(float);
        float[] buffer = GC.AllocateArray<float>(floats + 16, pinned: true);
        buffer.AsSpan().Fill(1e-6f);
        int sweeps = Math.Max(1, (int)(200_000_000L / (floats * sizeof(float))));
        double best = 0;
        for (int i = 0; i < Samples; i++)
        {
            long start = Stopwatch.GetTimestamp();
            float sink = Sweep(buffer, floats, sweeps);
            double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            GC.KeepAlive(sink);
            best = Math.Max(best, (double)floats * sizeof(float) * sweeps / ns);
        }

        return best;
    }

    private static double Best(Func<long, float> chain, long length)
    {
        double best = double.MaxValue;
        for (int i = 0; i < Samples; i++)
        {
            long start = Stopwatch.GetTimestamp();
            float sink = chain(length);
            double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            GC.KeepAlive(sink);
            best = Math.Min(best, ns / length);
        }

        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaChain(long n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a = Vector512.Create(0.5f), m = Vector512.Create(0.999999f), c = Vector512.Create(1e-7f);
            for (long i = 0; i < n; i++)
            {
                a = Vector512.FusedMultiplyAdd(a, m, c);
            }

            return a.ToScalar();
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a = Vector256.Create(0.5f), m = Vector256.Create(0.999999f), c = Vector256.Create(1e-7f);
            for (long i = 0; i < n; i++)
            {
                a = Vector256.FusedMultiplyAdd(a, m, c);
            }

            return a.ToScalar();
        }

        Vector128<float> b = Vector128.Create(0.5f), mb = Vector128.Create(0.999999f), cb = Vector128.Create(1e-7f);
        for (long i = 0; i < n; i++)
        {
            b = Vector128.FusedMultiplyAdd(b, mb, cb);
        }

        return b.ToScalar();
    }

    // σ and tanh map (-1, 1) into it, so the chains stay on ordinary values; the constant offset keeps them off a fixed point.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float SigmoidChain(long n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a = Vector512.Create(0.3f), shift = Vector512.Create(-0.5f);
            for (long i = 0; i < n; i++)
            {
                a = Activations.Sigmoid(a + shift);
            }

            return a.ToScalar();
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a = Vector256.Create(0.3f), shift = Vector256.Create(-0.5f);
            for (long i = 0; i < n; i++)
            {
                a = Activations.Sigmoid(a + shift);
            }

            return a.ToScalar();
        }

        Vector128<float> b = Vector128.Create(0.3f), shiftb = Vector128.Create(-0.5f);
        for (long i = 0; i < n; i++)
        {
            b = Activations.Sigmoid(b + shiftb);
        }

        return b.ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float TanhChain(long n)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a = Vector512.Create(0.3f), shift = Vector512.Create(0.25f);
            for (long i = 0; i < n; i++)
            {
                a = Activations.Tanh(a + shift);
            }

            return a.ToScalar();
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a = Vector256.Create(0.3f), shift = Vector256.Create(0.25f);
            for (long i = 0; i < n; i++)
            {
                a = Activations.Tanh(a + shift);
            }

            return a.ToScalar();
        }

        Vector128<float> b = Vector128.Create(0.3f), shiftb = Vector128.Create(0.25f);
        for (long i = 0; i < n; i++)
        {
            b = Activations.Tanh(b + shiftb);
        }

        return b.ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Sweep(float[] buffer, int floats, int sweeps)
    {
        // The sweep starts on a 64-byte boundary, as the packed weights do (the buffer is pinned: it cannot move).
        ref float p0 = ref CacheLineAlignment.AlignedStart(ref MemoryMarshal.GetArrayDataReference(buffer));
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int s = 0; s < sweeps; s++)
            {
                for (nuint i = 0; i + 64 <= (nuint)floats; i += 64)
                {
                    s0 += Vector512.LoadUnsafe(ref p0, i);
                    s1 += Vector512.LoadUnsafe(ref p0, i + 16);
                    s2 += Vector512.LoadUnsafe(ref p0, i + 32);
                    s3 += Vector512.LoadUnsafe(ref p0, i + 48);
                }
            }

            return Vector512.Sum(s0 + s1 + s2 + s3);
        }

        Vector256<float> t0 = default, t1 = default, t2 = default, t3 = default;
        for (int s = 0; s < sweeps; s++)
        {
            for (nuint i = 0; i + 32 <= (nuint)floats; i += 32)
            {
                t0 += Vector256.LoadUnsafe(ref p0, i);
                t1 += Vector256.LoadUnsafe(ref p0, i + 8);
                t2 += Vector256.LoadUnsafe(ref p0, i + 16);
                t3 += Vector256.LoadUnsafe(ref p0, i + 24);
            }
        }

        return Vector256.Sum(t0 + t1 + t2 + t3);
    }

    /// <summary>A cache's size in bytes as <c>getconf</c> reports it (from CPUID), or <paramref name="fallback"/>.</summary>
    private static int CacheSize(string name, int fallback)
    {
        try
        {
            var info = new ProcessStartInfo("getconf", name) { RedirectStandardOutput = true, UseShellExecute = false };
            using Process process = Process.Start(info)!;
            string text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int bytes) && bytes > 0 ? bytes : fallback;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return fallback;
        }
    }
}
