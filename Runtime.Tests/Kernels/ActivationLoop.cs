using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fixed.Tests.Kernels;

/// <summary>
/// Applies an activation over a span the way the kernels meet it: the widest accelerated vector first, then the
/// narrower ones for the remainder, then scalars, so one pass over a 17-float block runs every form of the operator.
/// </summary>
internal static class ActivationLoop
{
    public static void Apply<TOp>(Span<float> values)
        where TOp : struct, IUnaryOperator
    {
        ref float r = ref MemoryMarshal.GetReference(values);
        int length = values.Length;
        int i = 0;
        if (Path512.Taken)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                TOp.Invoke(Vector512.LoadUnsafe(ref r, (nuint)i)).StoreUnsafe(ref r, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                TOp.Invoke(Vector256.LoadUnsafe(ref r, (nuint)i)).StoreUnsafe(ref r, (nuint)i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                TOp.Invoke(Vector128.LoadUnsafe(ref r, (nuint)i)).StoreUnsafe(ref r, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref r, i) = TOp.Invoke(Unsafe.Add(ref r, i));
        }
    }
}
