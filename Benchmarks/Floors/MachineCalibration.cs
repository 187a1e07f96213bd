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
/// the library's own σ and tanh (a chain in which every call reads the previous result), their throughput (independent
/// vectors, as a layer's units are), and the rates at which the core reads a buffer that fits L1, and one that fits L2 but
/// not L1.
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
    /// Nanoseconds of the library's vector σ per vector when the vectors do not depend on each other (a layer's units):
    /// <see cref="ActivationSweep"/>.
    /// </summary>
    public static double SigmoidThroughputNanoseconds() => Best(static n => SigmoidSweep(n), ChainLength / 8);

    /// <summary>Nanoseconds of the library's vector tanh per independent vector (<see cref="SigmoidThroughputNanoseconds"/>).</summary>
    public static double TanhThroughputNanoseconds() => Best(static n => TanhSweep(n), ChainLength / 8);

    /// <summary>
    /// Bytes per nanosecond read from a buffer of half the L2, four times L1, summed with independent vector adds: what a
    /// kernel sweeping weights that do not fit L1 can read at best.
    /// </summary>
    public static double L2BytesPerNanosecond() => ReadRate(Math.Min(L2Bytes / 2, 4 * L1DataBytes));

    /// <summary>
    /// Bytes per nanosecond read from a buffer of half the L1 (eight independent sums, enough to keep two loads a cycle in
    /// flight): what a kernel whose weights stay in L1 reads at best, one use per weight, as a one-stream matrix-vector
    /// product reads them.
    /// </summary>
    public static double L1BytesPerNanosecond() => ReadRate(L1DataBytes / 2);

    private static double ReadRate(int bytes)
    {
        int floats = bytes / sizeof(float);
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
            best = Math.Max(best, (double)(floats / 128 * 128) * sizeof(float) * sweeps / ns);
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

    /// <summary>Vectors the activation sweeps keep: 2 KB at 256 bits, in L1 wherever they run.</summary>
    private const int SweepVectors = 64;

    private static readonly float[] ActivationBuffer = GC.AllocateArray<float>(SweepVectors * 16 + 16, pinned: true);

    // The activation in place over SweepVectors vectors, n vectors in all: each vector loaded, activated and stored, none
    // depending on another, as a layer's units do not (the loads and stores are the ones a layer's sums and new h cost too).
    // x + shift keeps the values ordinary (σ: near 0.66, tanh: near 0.46) however often they go round.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float SigmoidSweep(long n) => ActivationSweep<SigmoidOperator>(n, -0.5f);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float TanhSweep(long n) => ActivationSweep<TanhOperator>(n, 0.25f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ActivationSweep<TOperator>(long n, float shift)
        where TOperator : struct, IUnaryOperator
    {
        ref float p0 = ref CacheLineAlignment.AlignedStart(ref MemoryMarshal.GetArrayDataReference(ActivationBuffer));
        MemoryMarshal.CreateSpan(ref p0, SweepVectors * 16).Fill(0.3f);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> s = Vector512.Create(shift);
            for (long i = 0; i < n; i += SweepVectors)
            {
                for (nuint k = 0; k < SweepVectors * 16; k += 16)
                {
                    TOperator.Invoke(Vector512.LoadUnsafe(ref p0, k) + s).StoreUnsafe(ref p0, k);
                }
            }

            return p0;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s = Vector256.Create(shift);
            for (long i = 0; i < n; i += SweepVectors)
            {
                for (nuint k = 0; k < SweepVectors * 8; k += 8)
                {
                    TOperator.Invoke(Vector256.LoadUnsafe(ref p0, k) + s).StoreUnsafe(ref p0, k);
                }
            }

            return p0;
        }

        Vector128<float> b = Vector128.Create(shift);
        for (long i = 0; i < n; i += SweepVectors)
        {
            for (nuint k = 0; k < SweepVectors * 4; k += 4)
            {
                TOperator.Invoke(Vector128.LoadUnsafe(ref p0, k) + b).StoreUnsafe(ref p0, k);
            }
        }

        return p0;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Sweep(float[] buffer, int floats, int sweeps)
    {
        // The sweep starts on a 64-byte boundary, as the packed weights do (the buffer is pinned: it cannot move).
        // Eight accumulators, combined with bitwise or (which runs on every vector pipe, where an add has two on some cores,
        // as many as the loads: with adds, or with four sums as until 2026-12-07, the sweep measured the adds, 70 % of what a
        // multiply-add loop over the same data reads on a Zen 3 core), 128 floats a pass at either width.
        ref uint p0 = ref Unsafe.As<float, uint>(ref CacheLineAlignment.AlignedStart(ref MemoryMarshal.GetArrayDataReference(buffer)));
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<uint> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int s = 0; s < sweeps; s++)
            {
                for (nuint i = 0; i + 128 <= (nuint)floats; i += 128)
                {
                    s0 |= Vector512.LoadUnsafe(ref p0, i);
                    s1 |= Vector512.LoadUnsafe(ref p0, i + 16);
                    s2 |= Vector512.LoadUnsafe(ref p0, i + 32);
                    s3 |= Vector512.LoadUnsafe(ref p0, i + 48);
                    s4 |= Vector512.LoadUnsafe(ref p0, i + 64);
                    s5 |= Vector512.LoadUnsafe(ref p0, i + 80);
                    s6 |= Vector512.LoadUnsafe(ref p0, i + 96);
                    s7 |= Vector512.LoadUnsafe(ref p0, i + 112);
                }
            }

            return (s0 | s1 | s2 | s3 | s4 | s5 | s6 | s7).AsSingle().ToScalar();
        }

        Vector256<uint> t0 = default, t1 = default, t2 = default, t3 = default, t4 = default, t5 = default, t6 = default, t7 = default;
        for (int s = 0; s < sweeps; s++)
        {
            for (nuint i = 0; i + 128 <= (nuint)floats; i += 128)
            {
                t0 |= Vector256.LoadUnsafe(ref p0, i) | Vector256.LoadUnsafe(ref p0, i + 64);
                t1 |= Vector256.LoadUnsafe(ref p0, i + 8) | Vector256.LoadUnsafe(ref p0, i + 72);
                t2 |= Vector256.LoadUnsafe(ref p0, i + 16) | Vector256.LoadUnsafe(ref p0, i + 80);
                t3 |= Vector256.LoadUnsafe(ref p0, i + 24) | Vector256.LoadUnsafe(ref p0, i + 88);
                t4 |= Vector256.LoadUnsafe(ref p0, i + 32) | Vector256.LoadUnsafe(ref p0, i + 96);
                t5 |= Vector256.LoadUnsafe(ref p0, i + 40) | Vector256.LoadUnsafe(ref p0, i + 104);
                t6 |= Vector256.LoadUnsafe(ref p0, i + 48) | Vector256.LoadUnsafe(ref p0, i + 112);
                t7 |= Vector256.LoadUnsafe(ref p0, i + 56) | Vector256.LoadUnsafe(ref p0, i + 120);
            }
        }

        return (t0 | t1 | t2 | t3 | t4 | t5 | t6 | t7).AsSingle().ToScalar();
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
