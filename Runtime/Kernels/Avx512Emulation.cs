#if FIXED_EMULATE_512
using System.Runtime.Intrinsics;

namespace Fixed;

/// <summary>
/// The AVX-512 instructions the kernels name directly, computed in software, for the emulated 512-bit build only
/// (see <see cref="Path512"/>). In that build this class, being in the kernels' own namespace, is found before
/// <c>System.Runtime.Intrinsics.X86.Avx512F</c>; each method follows the instruction's definition in Intel's manual,
/// one 128-bit lane at a time. Not compiled into any other build.
/// </summary>
internal static class Avx512F
{
    /// <summary>The emulated build runs the AVX-512 code everywhere.</summary>
    public static bool IsSupported => true;

    /// <summary><c>vunpcklps</c>: in each 128-bit lane, <c>[a0, b0, a1, b1]</c>.</summary>
    public static Vector512<float> UnpackLow(Vector512<float> a, Vector512<float> b) =>
        PerLane(a, b, static (x, y) => Vector128.Create(x[0], y[0], x[1], y[1]));

    /// <summary><c>vunpckhps</c>: in each 128-bit lane, <c>[a2, b2, a3, b3]</c>.</summary>
    public static Vector512<float> UnpackHigh(Vector512<float> a, Vector512<float> b) =>
        PerLane(a, b, static (x, y) => Vector128.Create(x[2], y[2], x[3], y[3]));

    /// <summary><c>vshufps</c>: in each 128-bit lane, two elements of a then two of b, each chosen by two bits of <paramref name="control"/>.</summary>
    public static Vector512<float> Shuffle(Vector512<float> a, Vector512<float> b, byte control) =>
        Vector512.Create(
            Vector256.Create(ShuffleLane(Lane(a, 0), Lane(b, 0), control), ShuffleLane(Lane(a, 1), Lane(b, 1), control)),
            Vector256.Create(ShuffleLane(Lane(a, 2), Lane(b, 2), control), ShuffleLane(Lane(a, 3), Lane(b, 3), control)));

    /// <summary><c>vshuff32x4</c>: two 128-bit lanes of a, then two of b, each chosen by two bits of <paramref name="control"/>.</summary>
    public static Vector512<float> Shuffle4x128(Vector512<float> a, Vector512<float> b, byte control) =>
        Vector512.Create(
            Vector256.Create(Lane(a, control & 3), Lane(a, (control >> 2) & 3)),
            Vector256.Create(Lane(b, (control >> 4) & 3), Lane(b, (control >> 6) & 3)));

    private static Vector128<float> ShuffleLane(Vector128<float> a, Vector128<float> b, byte control) =>
        Vector128.Create(a[control & 3], a[(control >> 2) & 3], b[(control >> 4) & 3], b[(control >> 6) & 3]);

    private static Vector512<float> PerLane(Vector512<float> a, Vector512<float> b, System.Func<Vector128<float>, Vector128<float>, Vector128<float>> f) =>
        Vector512.Create(
            Vector256.Create(f(Lane(a, 0), Lane(b, 0)), f(Lane(a, 1), Lane(b, 1))),
            Vector256.Create(f(Lane(a, 2), Lane(b, 2)), f(Lane(a, 3), Lane(b, 3))));

    private static Vector128<float> Lane(Vector512<float> v, int i) => i switch
    {
        0 => v.GetLower().GetLower(),
        1 => v.GetLower().GetUpper(),
        2 => v.GetUpper().GetLower(),
        _ => v.GetUpper().GetUpper(),
    };
}
#endif
