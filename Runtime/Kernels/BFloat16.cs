using System;
using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// fp32 to bfloat16 and back, bit for bit as PyTorch converts (<c>c10::BFloat16</c>'s round-to-nearest-even): a bfloat16
/// is the high 16 bits of an fp32, so rounding adds half a unit of the dropped low half (less one, plus the kept half's
/// lowest bit, which makes ties go to even) and keeps the high half. NaN stays NaN (made quiet, as PyTorch does).
/// </summary>
internal static class BFloat16
{
    /// <summary>The bfloat16 nearest to <paramref name="value"/>, ties to even, as its 16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Round(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040u);
        }

        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>The fp32 with the same value as the bfloat16 <paramref name="bits"/> (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary><paramref name="value"/> rounded to the nearest bfloat16, as an fp32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToSingle(float value) => ToSingle(Round(value));

    /// <summary>Rounds every element of <paramref name="values"/> in place.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void RoundInPlace(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = RoundToSingle(values[i]);
        }
    }
}
