using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fixed;

/// <summary>
/// Whether the kernels take their 512-bit code. Every width choice reads
/// <c>Path512.Emulated || Vector512.IsHardwareAccelerated</c>.
/// </summary>
/// <remarks>
/// In every build users get, <see cref="Emulated"/> is the constant <c>false</c>: the C# compiler folds it away, so the IL
/// is exactly <see cref="Vector512.IsHardwareAccelerated"/>, a constant to the JIT and to NativeAOT's compiler, and the code
/// of the other widths is not compiled. (A property getter here instead would cost each caller an inline, and the
/// straight-line step sits at the JIT's inlining budget: with one, GRU 1→32's step called its cell and head out of line.)
/// <para>
/// Built with <c>-p:FixedEmulate512=true</c> (the compile constant <c>FIXED_EMULATE_512</c>; scripts/ci/test_emulated512.sh,
/// CI's <c>test-avx512-emulated</c> stage), it is <c>true</c>: the 512-bit kernels then run on any machine, on .NET's
/// software <see cref="Vector512{T}"/>, which computes each operation on two hardware 256-bit halves, and the few AVX-512
/// instructions the kernels name directly come from <c>Avx512Emulation.cs</c>. The same operations in the same order as
/// on an AVX-512 core (the software multiply-add fuses, as the hardware's does), so the same tolerances hold, at a
/// fraction of its speed. It exists so that a machine without AVX-512 still runs the kernel tests through the 512-bit
/// code: the CI machine has lacked AVX-512 for days at a time.
/// </para>
/// </remarks>
internal static class Path512
{
#if FIXED_EMULATE_512
    /// <summary>This build runs the 512-bit kernels everywhere, in software where the hardware has no AVX-512.</summary>
    public const bool Emulated = true;
#else
    /// <summary>This build runs the 512-bit kernels only where the hardware has AVX-512.</summary>
    public const bool Emulated = false;
#endif

    /// <summary>
    /// <see cref="Emulated"/>, read at run time: for code compiled apart from the runtime (the tests), into which the
    /// constant would be copied at its own compile time.
    /// </summary>
    public static bool IsEmulatedBuild => Emulated;

    /// <summary>The kernels take their 512-bit code (16 floats a vector), read at run time (for the tests).</summary>
    public static bool Taken => Emulated || Vector512.IsHardwareAccelerated;
}
