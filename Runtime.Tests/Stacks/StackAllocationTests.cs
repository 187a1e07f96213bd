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

    [Fact]
    public void Residual_EveryPath_AllocatesNothing()
    {
        var model = new ResidualAmp(seed: 3);
        const int Steps = 8, Batch = 3;
        float[] inputs = Random(Batch * Steps * ResidualAmp.InputSize, 4);
        float[] outputs = new float[Batch * Steps * ResidualAmp.OutputSize];
        float[] targets = Random(Batch * Steps * ResidualAmp.OutputSize, 5);
        int[] lengths = [Steps, 5, 2];
        var states = new ResidualAmp.State[Batch];
        var state = default(ResidualAmp.State);
        var sgd = new Sgd(model, 1e-3f);

        SteadyAllocation.AssertNone("ResidualAmp: Step, Forward, streams, WarmUp, Backward, Evaluate, lengths", 200, () =>
        {
            model.Step(ref state, inputs.AsSpan(0, ResidualAmp.InputSize), outputs.AsSpan(0, ResidualAmp.OutputSize));
            model.Forward(ref state, inputs.AsSpan(0, Steps * ResidualAmp.InputSize), outputs.AsSpan(0, Steps * ResidualAmp.OutputSize));
            model.Step(states, inputs.AsSpan(0, Batch * ResidualAmp.InputSize), outputs.AsSpan(0, Batch * ResidualAmp.OutputSize));
            model.Forward(states, inputs, outputs);
            model.WarmUp(ref state, inputs.AsSpan(0, Steps * ResidualAmp.InputSize));
            state.Reset();
            model.Backward(ref state, inputs.AsSpan(0, Steps * ResidualAmp.InputSize), targets.AsSpan(0, (Steps - 1) * ResidualAmp.OutputSize), Loss.Mse, LossOn.AllSteps, warmUp: 1);
            model.Evaluate(ref state, inputs.AsSpan(0, Steps * ResidualAmp.InputSize), targets.AsSpan(0, (Steps - 1) * ResidualAmp.OutputSize), Loss.Mse, LossOn.AllSteps, warmUp: 1);
            model.Backward(inputs, targets.AsSpan(0, Batch * ResidualAmp.OutputSize), Batch);
            model.Evaluate(inputs, targets.AsSpan(0, Batch * ResidualAmp.OutputSize), Batch);
            model.Backward(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);
            model.Evaluate(inputs, targets, lengths, Loss.Mse, LossOn.AllSteps);
            sgd.Step();
            model.ZeroGrad();
        });
    }
}
