using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// How inference's and training's entry points and the kernels they call out of line are compiled: optimized at their
/// first call, never as tier-0 code first.
/// </summary>
/// <remarks>
/// Under the runtime's default tiering a method runs unoptimized code (tier 0) until it has been called 30 times after a
/// delay of 100 ms without any new method being compiled, and that delay is ten times as long when the process may use
/// one CPU only. GRU 1→32's <c>Step</c> ran ~10× slower for the first ~230 ms of a process, and for ~2.1 s when it was
/// pinned to one core (2026-12-04, Zen 4): for a real-time loop, the first seconds of audio or control. Its training
/// iteration ran tier-0 code for ~2.3 s pinned (2026-12-05). Methods compiled with
/// <see cref="MethodImplOptions.AggressiveOptimization"/> skip tier 0, and the dynamic profile tier 1 would have gathered:
/// the steps measured the same without it, a training iteration 1–2 % slower. The methods that need it are the ones a
/// fully optimized step or iteration compiles as methods of their own (listed with
/// <c>DOTNET_TieredCompilation=0 DOTNET_JitDisasmSummary=1</c>); the helpers they inline are compiled into them,
/// optimized as well.
/// </remarks>
internal static class CompiledAtOnce
{
    /// <summary>An entry point or kernel that is never inlined (see each method for why), optimized at its first call.</summary>
    public const MethodImplOptions NoInlining = MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>A method the JIT may inline, optimized at its first call when it is compiled on its own.</summary>
    public const MethodImplOptions Optimized = MethodImplOptions.AggressiveOptimization;
}
