using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fixed;

/// <summary>
/// 64-byte alignment for the buffers the kernels stream through with vector loads: a load that straddles two cache
/// lines costs two, and a <c>float[]</c> or a stack buffer starts wherever it starts (an unaligned packed copy made
/// the 96×32 matrix kernel 60 ns instead of 33 ns). A buffer is given one cache line of slack and used from its
/// first aligned float.
/// </summary>
internal static class CacheLineAlignment
{
    /// <summary>The slack, in floats, a buffer needs beyond the floats it must hold: one 64-byte cache line.</summary>
    public const int SlackFloats = NetworkArithmetic.CacheLineSlackFloats;

    /// <summary>
    /// Floats from the start of <paramref name="buffer"/> to its first 64-byte boundary. The buffer must not move
    /// afterwards (stack memory, or an array on the pinned object heap) for the answer to stay true.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe int Offset(ReadOnlySpan<float> buffer)
    {
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer));
        return (int)((0u - address) % (SlackFloats * sizeof(float))) / sizeof(float);
    }

    /// <summary>
    /// The first 64-byte aligned float at or after <paramref name="stackStart"/>, the start of a stack buffer
    /// <see cref="SlackFloats"/> longer than needed (a local struct: the JIT aligns its frame to 16 bytes only, so where a
    /// vector scratch lands within a cache line changed with the registers a method saved).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe ref float AlignedStart(ref float stackStart)
    {
        nuint address = (nuint)Unsafe.AsPointer(ref stackStart);
        return ref Unsafe.Add(ref stackStart, (nint)((0u - address) % (SlackFloats * sizeof(float)) / sizeof(float)));
    }

    /// <summary>The aligned part of a stack buffer <see cref="SlackFloats"/> longer than needed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<float> Aligned(Span<float> stackBuffer) => stackBuffer.Slice(Offset(stackBuffer), stackBuffer.Length - SlackFloats);
}
