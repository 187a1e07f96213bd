using System;
using System.Linq;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Precision;

/// <summary>
/// <c>WeightPrecision.BFloat16</c> inference allocates nothing (a class of its own so that the emulated NEON run, which
/// leaves the allocation tests out for their run time, can leave it out too).
/// </summary>
public sealed class BFloat16AllocationTests
{
    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    [Fact]
    public void StepAndForward_AfterWarmUp_AllocateNothing()
    {
        var gru = new Gru64Bf16(5);
        var lstm = new Lstm7x9Bf16(6);
        float[] gs = new float[Gru64Bf16.StateLength], ls = new float[Lstm7x9Bf16.StateLength];
        float[] inputs = Random(16 * 7, 9), outputs = new float[16 * 3];
        void Round()
        {
            gru.Step(gs, inputs.AsSpan(0, 1), outputs.AsSpan(0, 1));
            gru.Forward(gs, inputs.AsSpan(0, 16), outputs.AsSpan(0, 16));
            lstm.Step(ls, inputs.AsSpan(0, 7), outputs.AsSpan(0, 3));
            lstm.Forward(ls, inputs, outputs);
        }

        for (int i = 0; i < 100; i++)
        {
            Round();
        }

        SteadyAllocation.AssertNone("bfloat16 many-stream Step and Forward", 2_000, Round);
    }
}
