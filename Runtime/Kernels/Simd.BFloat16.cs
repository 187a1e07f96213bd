using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fixed;

// Widening bfloat16 to fp32 is a 16-bit shift: a bfloat16 is the high half of the fp32 with the same bits. The reduced
// layout (ReducedLayout) stores two columns' values in each 32-bit slot, so one load and two integer operations give two
// full vectors of fp32 weights: the low value shifted up, the high one with the low half masked off. Integer shifts and
// masks exist at every width, so this is the same code on AVX-512, AVX2, SSE, NEON and the scalar fallback (no F16C or
// AVX-512 BF16 instruction is needed, and the result is exact: no rounding happens when widening).
internal readonly partial struct Simd512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 LoadBFloat16Slots(ref uint source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 BFloat16Low(Simd512 slots) => new(Vector512.ShiftLeft(slots._value.AsUInt32(), 16).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 BFloat16High(Simd512 slots, Simd512 highMask) => new(slots._value & highMask._value);

    public static Simd512 BFloat16HighMask
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector512.Create(0xFFFF0000u).AsSingle());
    }
}

internal readonly partial struct Simd256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 LoadBFloat16Slots(ref uint source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 BFloat16Low(Simd256 slots) => new(Vector256.ShiftLeft(slots._value.AsUInt32(), 16).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 BFloat16High(Simd256 slots, Simd256 highMask) => new(slots._value & highMask._value);

    public static Simd256 BFloat16HighMask
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector256.Create(0xFFFF0000u).AsSingle());
    }
}

internal readonly partial struct Simd128
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 LoadBFloat16Slots(ref uint source, nuint offset) => new(Vector128.LoadUnsafe(ref source, offset).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 BFloat16Low(Simd128 slots) => new(Vector128.ShiftLeft(slots._value.AsUInt32(), 16).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 BFloat16High(Simd128 slots, Simd128 highMask) => new(slots._value & highMask._value);

    public static Simd128 BFloat16HighMask
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector128.Create(0xFFFF0000u).AsSingle());
    }
}

internal readonly partial struct Simd1
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 LoadBFloat16Slots(ref uint source, nuint offset) => new(BitConverter.UInt32BitsToSingle(Unsafe.Add(ref source, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 BFloat16Low(Simd1 slots) => new(BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(slots._value) << 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 BFloat16High(Simd1 slots, Simd1 highMask) =>
        new(BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(slots._value) & BitConverter.SingleToUInt32Bits(highMask._value)));

    public static Simd1 BFloat16HighMask
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(BitConverter.UInt32BitsToSingle(0xFFFF0000u));
    }
}
