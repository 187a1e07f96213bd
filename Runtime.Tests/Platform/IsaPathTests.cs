using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using Xunit;

namespace Fixed.Tests.Platform;

/// <summary>
/// Proves that a test run took the instruction-set path it claims. The CI (.ci/run) runs the whole
/// suite several times with different DOTNET_Enable* switches (and once for ARM64 under qemu) and sets
/// FIXED_EXPECTED_ISA to the path each run is meant to exercise:
/// <list type="bullet">
/// <item><c>avx512</c>: default on an AVX-512 machine. Vector512, Vector256 and Vector128 accelerated.</item>
/// <item><c>avx2</c>: DOTNET_EnableAVX512=0 (on .NET 10 DOTNET_EnableAVX512F=0 is ignored). Vector256 and Vector128 only.</item>
/// <item><c>sse</c>: DOTNET_EnableAVX2=0. Vector128 only (Vector256 needs AVX2; Avx.IsSupported stays true).</item>
/// <item><c>scalar</c>: DOTNET_EnableHWIntrinsic=0. Nothing accelerated; the kernels take their scalar fallback.</item>
/// <item><c>neon</c>: linux-arm64 (qemu). AdvSimd, Vector128 only.</item>
/// <item><c>avx512-emulated</c>: the runtime built with <c>-p:FixedEmulate512=true</c> on a machine without AVX-512
/// (.ci/run's test-avx512-emulated stage): the kernels take their 512-bit code on software Vector512.</item>
/// </list>
/// With or without the variable (a developer's plain <c>dotnet test</c>), the tests check that the hierarchy the
/// kernels rely on holds (512 ⇒ 256 ⇒ 128), that the instruction set the active path is named after is really
/// there, and that the kernels' packed layout picks the vector width of that path; the variable adds which path
/// it must be.
/// </summary>
public sealed class IsaPathTests
{
    public const string Variable = "FIXED_EXPECTED_ISA";

    private readonly ITestOutputHelper _output;

    public IsaPathTests(ITestOutputHelper output) => _output = output;

    /// <summary>The widest vector path the kernels will take in this process.</summary>
    public static string ActivePath()
    {
        if (Vector512.IsHardwareAccelerated) return "avx512";
        if (Path512.IsEmulatedBuild) return "avx512-emulated";
        if (Vector256.IsHardwareAccelerated) return Avx2.IsSupported ? "avx2" : "vector256";
        if (Vector128.IsHardwareAccelerated)
        {
            if (AdvSimd.IsSupported) return "neon";
            if (Sse2.IsSupported) return "sse";
            return "vector128";
        }
        return "scalar";
    }

    private static string Describe() =>
        $"active={ActivePath()} emulated512={Path512.IsEmulatedBuild} Vector512={Vector512.IsHardwareAccelerated} Vector256={Vector256.IsHardwareAccelerated} " +
        $"Vector128={Vector128.IsHardwareAccelerated} Avx512F={Avx512F.IsSupported} Avx2={Avx2.IsSupported} " +
        $"Avx={Avx.IsSupported} Sse2={Sse2.IsSupported} AdvSimd={AdvSimd.IsSupported} " +
        $"arch={System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture} " +
        $"{Variable}={Environment.GetEnvironmentVariable(Variable) ?? "(unset)"}";

    [Fact]
    public void VectorWidths_AreNested()
    {
        _output.WriteLine(Describe());

        if (Vector512.IsHardwareAccelerated)
            Assert.True(Vector256.IsHardwareAccelerated, "Vector512 accelerated but Vector256 not. " + Describe());
        if (Vector256.IsHardwareAccelerated)
            Assert.True(Vector128.IsHardwareAccelerated, "Vector256 accelerated but Vector128 not. " + Describe());
        // The x86 ISA flags imply each other the same way.
        if (Avx512F.IsSupported) Assert.True(Avx2.IsSupported, Describe());
        if (Avx2.IsSupported) Assert.True(Sse2.IsSupported, Describe());
    }

    [Fact]
    public void ActivePath_IsBackedByItsInstructionSetAndTakenByTheKernels()
    {
        string path = ActivePath();
        _output.WriteLine(Describe());

        // The instruction set each path is named after must be reported, or the name is a guess.
        switch (path)
        {
            case "avx512":
                Assert.True(Avx512F.IsSupported, "Vector512 accelerated without Avx512F. " + Describe());
                break;
            case "avx512-emulated":
                Assert.True(Path512.Taken, "the emulated build does not take the 512-bit code. " + Describe());
                break;
            case "avx2":
                Assert.True(Avx2.IsSupported, Describe());
                break;
            case "sse":
                Assert.True(Sse2.IsSupported, Describe());
                break;
            case "neon":
                Assert.True(AdvSimd.IsSupported, Describe());
                break;
            case "scalar":
                Assert.False(Vector128.IsHardwareAccelerated || Vector256.IsHardwareAccelerated || Vector512.IsHardwareAccelerated, Describe());
                break;
        }

        // The packed layout's vector width is the one place the kernels choose theirs: the widest accelerated vector
        // that fits the hidden size. For each hidden size it must be the one the active path provides.
        int widest = path switch
        {
            "avx512" or "avx512-emulated" => 16,
            "avx2" or "vector256" => 8,
            "sse" or "neon" or "vector128" => 4,
            _ => 1,
        };
        Assert.True(PackedLayout<IsaShape16>.Lanes == Math.Min(widest, 16), $"hidden size 16: the kernels use {PackedLayout<IsaShape16>.Lanes} lanes, the {path} path {Math.Min(widest, 16)}. " + Describe());
        Assert.True(PackedLayout<IsaShape8>.Lanes == Math.Min(widest, 8), $"hidden size 8: the kernels use {PackedLayout<IsaShape8>.Lanes} lanes, the {path} path {Math.Min(widest, 8)}. " + Describe());
        Assert.True(PackedLayout<IsaShape4>.Lanes == Math.Min(widest, 4), $"hidden size 4: the kernels use {PackedLayout<IsaShape4>.Lanes} lanes, the {path} path {Math.Min(widest, 4)}. " + Describe());
        Assert.True(PackedLayout<IsaShape3>.Lanes == 1, $"hidden size 3 is narrower than any vector, yet the kernels use {PackedLayout<IsaShape3>.Lanes} lanes. " + Describe());
    }

    [Fact]
    public void ActivePath_MatchesExpectedIsa_WhenTheRunNamesOne()
    {
        string? expected = Environment.GetEnvironmentVariable(Variable);
        _output.WriteLine(Describe());
        if (string.IsNullOrWhiteSpace(expected))
        {
            // A developer's run names no path: the one this process takes must still be one of the paths the CI
            // names, each with exactly the vector widths documented above (on x64 or arm64, where the suite runs).
            string path = ActivePath();
            Assert.True(path is "avx512" or "avx2" or "sse" or "scalar" or "neon" or "avx512-emulated",
                $"the active path '{path}' is none of avx512, avx2, sse, scalar, neon, avx512-emulated: the CI could not name it. " + Describe());
            expected = path;
        }

        // The kernels dispatch on VectorNNN.IsHardwareAccelerated, so those flags define the path; the
        // ISA flag named with each path proves the hardware (or the emulator) really provides it.
        switch (expected.Trim().ToLowerInvariant())
        {
            case "avx512":
                if (Avx512F.IsSupported && !Vector512.IsHardwareAccelerated)
                    Assert.Fail("The runtime reports Avx512F but does not accelerate Vector512 (its throttling heuristic on " +
                                "older Intel CPUs, or DOTNET_PreferredVectorBitWidth): the kernels take the 256-bit path. " +
                                "Expect avx2 here (.ci/run: FIXED_DEFAULT_ISA=avx2). " + Describe());
                Expect(v512: true, v256: true, v128: true);
                Assert.True(Avx512F.IsSupported, "Avx512F.IsSupported. " + Describe());
                Assert.True(Avx2.IsSupported, "Avx2.IsSupported. " + Describe());
                break;
            case "avx512-emulated":
                // The emulated build: software Vector512 on hardware 256-bit vectors (on an AVX-512 machine the same build
                // runs the 512-bit code on the hardware, which is no emulation but no error either).
                Assert.True(Path512.IsEmulatedBuild, "FIXED_EXPECTED_ISA=avx512-emulated, but the runtime was not built with -p:FixedEmulate512=true. " + Describe());
                Assert.True(Path512.Taken, "the emulated build does not take the 512-bit code. " + Describe());
                Assert.True(Vector256.IsHardwareAccelerated && Vector128.IsHardwareAccelerated, "the emulation runs on hardware 256-bit vectors. " + Describe());
                Assert.True(Avx2.IsSupported, "Avx2.IsSupported. " + Describe());
                break;
            case "avx2":
                // Avx512F may still be supported (e.g. DOTNET_PreferredVectorBitWidth=256): only Vector512 must be off.
                Expect(v512: false, v256: true, v128: true);
                Assert.True(Avx2.IsSupported, "Avx2.IsSupported. " + Describe());
                break;
            case "sse":
                // DOTNET_EnableAVX2=0: Vector256 needs AVX2, so it is not accelerated even though Avx.IsSupported stays true.
                Expect(v512: false, v256: false, v128: true);
                Assert.True(Sse2.IsSupported, "Sse2.IsSupported. " + Describe());
                break;
            case "scalar":
                Expect(v512: false, v256: false, v128: false);
                break;
            case "neon":
                Expect(v512: false, v256: false, v128: true);
                Assert.True(AdvSimd.IsSupported, "AdvSimd.IsSupported. " + Describe());
                break;
            default:
                Assert.Fail($"{Variable}='{expected}' is not one of avx512, avx2, sse, scalar, neon, avx512-emulated.");
                break;
        }
    }

    private static void Expect(bool v512, bool v256, bool v128)
    {
        Assert.True(Vector512.IsHardwareAccelerated == v512, $"Vector512.IsHardwareAccelerated should be {v512}. " + Describe());
        Assert.True(Vector256.IsHardwareAccelerated == v256, $"Vector256.IsHardwareAccelerated should be {v256}. " + Describe());
        Assert.True(Vector128.IsHardwareAccelerated == v128, $"Vector128.IsHardwareAccelerated should be {v128}. " + Describe());
    }
}

/// <summary>Shapes whose hidden sizes sit at each vector width, to read the width the packed layout picks.</summary>
internal readonly struct IsaShape16 : INetworkShape
{
    public static int InputSize => 2;

    public static int HiddenSize => 16;

    public static int NumLayers => 1;

    public static int OutputSize => 0;

    public static Cell Cell => Cell.Rnn;

    public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

    public static bool Bias => true;

    public static int Window => 1;
}

/// <inheritdoc cref="IsaShape16"/>
internal readonly struct IsaShape8 : INetworkShape
{
    public static int InputSize => 2;

    public static int HiddenSize => 8;

    public static int NumLayers => 1;

    public static int OutputSize => 0;

    public static Cell Cell => Cell.Rnn;

    public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

    public static bool Bias => true;

    public static int Window => 1;
}

/// <inheritdoc cref="IsaShape16"/>
internal readonly struct IsaShape4 : INetworkShape
{
    public static int InputSize => 2;

    public static int HiddenSize => 4;

    public static int NumLayers => 1;

    public static int OutputSize => 0;

    public static Cell Cell => Cell.Rnn;

    public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

    public static bool Bias => true;

    public static int Window => 1;
}

/// <inheritdoc cref="IsaShape16"/>
internal readonly struct IsaShape3 : INetworkShape
{
    public static int InputSize => 2;

    public static int HiddenSize => 3;

    public static int NumLayers => 1;

    public static int OutputSize => 0;

    public static Cell Cell => Cell.Rnn;

    public static Nonlinearity Nonlinearity => Nonlinearity.Tanh;

    public static bool Bias => true;

    public static int Window => 1;
}
