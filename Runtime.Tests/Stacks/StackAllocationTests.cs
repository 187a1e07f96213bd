using System;
using System.Linq;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Stacks;

/// <summary>
/// Zero allocation through a layer stack: every inference and training call, after the first, allocates nothing.
/// A class of its own so that the emulated ARM64 run can leave it out (it is slow under qemu and tests no kernel arithmetic).
/// </summary>
public sealed class StackAllocationTests
{
    private static float[] Random(int length, int seed)
    {
        var random = new System.Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void EveryCall_AllocatesNothing_AfterTheFirst()
    {
        var model = new Stack(seed: 3);
        var mlp = new PerStepMlp(seed: 3);
        float[] inputs = Random(32 * Stack.InputSize, 4);
        float[] outputs = new float[32 * Stack.OutputSize];
        float[] targets = Random(32 * Stack.OutputSize, 5);
        float[] batchInputs = Random(4 * 16 * Stack.InputSize, 6);
        float[] batchTargets = [0, 1, 1, 0];
        float[] mlpInputs = Random(32 * PerStepMlp.InputSize, 7);
        float[] mlpOutputs = new float[32 * PerStepMlp.OutputSize];
        float[] mlpTargets = Random(32 * PerStepMlp.OutputSize, 8);
        var adam = new Adam(model, 1e-3f);
        var state = default(Stack.State);
        var mlpState = default(PerStepMlp.State);

        void Round()
        {
            model.Step(ref state, inputs.AsSpan(0, Stack.InputSize), outputs.AsSpan(0, Stack.OutputSize));
            model.Forward(ref state, inputs, outputs);
            model.WarmUp(ref state, inputs);
            state.Reset();
            model.Backward(ref state, inputs, targets.AsSpan(0, 29 * Stack.OutputSize), Loss.Huber, LossOn.AllSteps, warmUp: 3);
            model.Backward(batchInputs, batchTargets, 4, Loss.CrossEntropy, LossOn.LastStep, warmUp: 2, SequenceLayout.TimeFirst);
            model.ClipGradNorm(1f);
            adam.Step();
            model.ZeroGrad();
            mlp.Forward(ref mlpState, mlpInputs, mlpOutputs);
            mlp.Backward(ref mlpState, mlpInputs, mlpTargets, Loss.Mse, LossOn.AllSteps);
        }

        for (int i = 0; i < 200; i++)
        {
            Round();
        }

        SteadyAllocation.AssertNone("Stack and PerStepMlp: every call", 2_000, Round);
    }
}
