using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fixed.Engine;

/// <summary>
/// A model's float buffer whose first element sits on a 64-byte boundary: its weights, gradients, tape and work, and an
/// optimizer's moments. Generated models own them; the type is public only for that reason.
/// </summary>
/// <remarks>
/// A <c>float[]</c> starts wherever the garbage collector put it, 8-byte aligned: its place within a cache line depends on
/// what the process allocated before, so the same training loop ran at different speeds from one process to the next
/// (GRU 1→32's iteration 9,985 to 11,360 ns on a Zen 4 core, by where the arrays fell; 64-byte vector loads and stores
/// that straddle two cache lines cost two). The array here is allocated with one cache line of slack on the pinned object
/// heap, where it never moves, and used from its first aligned float, so every model gets the fast placement.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AlignedBuffer
{
    private readonly float[] _array;

    /// <summary>Allocates <paramref name="length"/> zeros, the first on a 64-byte boundary.</summary>
    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _array = GC.AllocateArray<float>(length + CacheLineAlignment.SlackFloats, pinned: true);
        Offset = CacheLineAlignment.Offset(_array);
        Length = length;
    }

    /// <summary>The floats, <see cref="Length"/> of them.</summary>
    public Span<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => MemoryMarshal.CreateSpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), Offset), Length);
    }

    /// <summary>How many floats the buffer holds.</summary>
    public int Length { get; }

    /// <summary>The array underneath, for APIs that take an array and an offset (<see cref="Offset"/>).</summary>
    public float[] Array => _array;

    /// <summary>Where <see cref="Span"/> starts in <see cref="Array"/>.</summary>
    public int Offset { get; }

    /// <summary>Sets every float to zero.</summary>
    public void Clear() => Span.Clear();
}
