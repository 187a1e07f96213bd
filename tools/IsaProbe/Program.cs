using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

// Prints the widest vector path the kernels take in this process, on the first line, by the same rule as
// Runtime.Tests/Platform/IsaPathTests.ActivePath (the kernels dispatch on VectorNNN.IsHardwareAccelerated), then the
// flags it was decided from. Run it under the same DOTNET_Enable* switches as a test stage to learn which path that
// stage would exercise: .ci/run does, instead of guessing from /proc/cpuinfo.
string path =
    Vector512.IsHardwareAccelerated ? "avx512"
    : Vector256.IsHardwareAccelerated ? (Avx2.IsSupported ? "avx2" : "vector256")
    : Vector128.IsHardwareAccelerated ? (AdvSimd.IsSupported ? "neon" : Sse2.IsSupported ? "sse" : "vector128")
    : "scalar";

Console.WriteLine(path);
Console.WriteLine(
    $"Vector512={Vector512.IsHardwareAccelerated} Vector256={Vector256.IsHardwareAccelerated} " +
    $"Vector128={Vector128.IsHardwareAccelerated} Avx512F={Avx512F.IsSupported} Avx2={Avx2.IsSupported} " +
    $"Avx={Avx.IsSupported} Sse2={Sse2.IsSupported} AdvSimd={AdvSimd.IsSupported} " +
    $"arch={System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}");
