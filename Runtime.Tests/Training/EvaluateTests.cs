using System;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Fixed.Tests.Stacks;
using Xunit;

namespace Fixed.Tests.Training;

/// <summary>
/// <c>Evaluate</c> returns the loss the matching <c>Backward</c> would, bit for bit (it runs the same forward arithmetic and
/// sums the loss in the same order), and changes nothing but the single-sequence state: no gradient, no parameter, no tape.
/// Every cell, one-attribute models and layer stacks; allocation-free; many threads on one model.
/// </summary>
public sealed class EvaluateTests
{
    public static TheoryData<string> Models() => new(EvaluateCase.All.Select(c => c.Name));

    public static TheoryData<string, Loss, LossOn, int> SingleCases()
    {
        var data = new TheoryData<string, Loss, LossOn, int>();
        foreach (EvaluateCase model in EvaluateCase.All)
        {
            data.Add(model.Name, Loss.Mse, LossOn.AllSteps, 0);
            data.Add(model.Name, Loss.Huber, LossOn.AllSteps, 2);
            data.Add(model.Name, Loss.L1, LossOn.LastStep, 0);
            data.Add(model.Name, Loss.CrossEntropy, LossOn.LastStep, 3);
            data.Add(model.Name, Loss.CrossEntropy, LossOn.AllSteps, 1);
        }

        return data;
    }

    public static TheoryData<string, int, SequenceLayout, LossOn, int> BatchCases()
    {
        var data = new TheoryData<string, int, SequenceLayout, LossOn, int>();
        foreach (EvaluateCase model in EvaluateCase.All)
        {
            // Batches below, at and past the batched Backward's group of four, so both of its paths are compared.
            data.Add(model.Name, 1, SequenceLayout.BatchFirst, LossOn.AllSteps, 0);
            data.Add(model.Name, 4, SequenceLayout.TimeFirst, LossOn.LastStep, 2);
            data.Add(model.Name, 6, SequenceLayout.BatchFirst, LossOn.LastStep, 0);
            data.Add(model.Name, 9, SequenceLayout.TimeFirst, LossOn.AllSteps, 1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SingleCases))]
    public void Evaluate_SingleSequence_ReturnsBackwardsLossAndEndState_BitForBit(string name, Loss loss, LossOn on, int warmUp)
    {
        EvaluateCase model = EvaluateCase.Named(name);
        var random = new Random(name.Length * 31 + (int)loss * 7 + warmUp);
        int steps = Math.Min(model.Window, 9);
        float[] inputs = EvaluateCase.Values(random, steps * model.InputSize);
        float[] targets = model.Targets(random, loss, on == LossOn.AllSteps ? steps - warmUp : 1);
        float[] start = EvaluateCase.Values(random, model.StateLength);

        IParameters network = model.Create(11);
        float[] gradients = EvaluateCase.Values(random, network.Gradients.Length);
        gradients.CopyTo(network.Gradients);
        float[] parameters = network.ParameterValues.ToArray();

        float[] evaluated = (float[])start.Clone();
        float evaluateLoss = model.Evaluate(network, evaluated, inputs, targets, loss, on, warmUp);
        Assert.Equal(gradients, network.Gradients.ToArray());
        Assert.Equal(parameters, network.ParameterValues.ToArray());

        float[] trained = (float[])start.Clone();
        float backwardLoss = model.Backward(network, trained, inputs, targets, loss, on, warmUp);
        Assert.True(float.IsFinite(backwardLoss), $"{name}: Backward's loss is {backwardLoss}");
        Assert.Equal(backwardLoss, evaluateLoss);
        Assert.Equal(trained, evaluated);
    }

    [Theory]
    [MemberData(nameof(BatchCases))]
    public void Evaluate_Batched_ReturnsBackwardsLoss_BitForBit_AndLeavesGradientsAlone(string name, int batch, SequenceLayout layout, LossOn on, int warmUp)
    {
        EvaluateCase model = EvaluateCase.Named(name);
        var random = new Random(name.Length * 17 + batch);
        int steps = Math.Min(model.Window, 7);
        float[] inputs = EvaluateCase.Values(random, batch * steps * model.InputSize);
        foreach (Loss loss in new[] { Loss.Mse, Loss.CrossEntropy })
        {
            float[] targets = model.Targets(random, loss, batch * (on == LossOn.AllSteps ? steps - warmUp : 1));
            IParameters network = model.Create(5);
            float[] gradients = EvaluateCase.Values(random, network.Gradients.Length);
            gradients.CopyTo(network.Gradients);
            float[] parameters = network.ParameterValues.ToArray();

            float evaluateLoss = model.EvaluateBatch(network, inputs, targets, batch, loss, on, warmUp, layout);
            Assert.Equal(gradients, network.Gradients.ToArray());
            Assert.Equal(parameters, network.ParameterValues.ToArray());

            float backwardLoss = model.BackwardBatch(network, inputs, targets, batch, loss, on, warmUp, layout);
            Assert.True(float.IsFinite(backwardLoss), $"{name}: Backward's loss is {backwardLoss}");
            Assert.Equal(backwardLoss, evaluateLoss);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Evaluate_FreshModel_CreatesNoGradientsAndNoTrainingBuffers(string name)
    {
        EvaluateCase model = EvaluateCase.Named(name);
        var random = new Random(2);
        int steps = Math.Min(model.Window, 5);
        IParameters network = model.Create(3);
        float[] inputs = EvaluateCase.Values(random, 3 * steps * model.InputSize);
        model.Evaluate(network, new float[model.StateLength], inputs.AsSpan(0, steps * model.InputSize), model.Targets(random, Loss.Mse, steps), Loss.Mse, LossOn.AllSteps, 0);
        model.EvaluateBatch(network, inputs, model.Targets(random, Loss.Mse, 3), 3, Loss.Mse, LossOn.LastStep, 0, SequenceLayout.BatchFirst);

        // The lazily created gradients and training buffers (the tape) are the model's private fields: none may exist yet.
        Assert.Empty(TrainingBuffers(network).Where(field => field.Value is not null).Select(field => field.Name));
    }

    [Fact]
    public void Evaluate_EveryOverload_AllocatesNothing()
    {
        foreach (EvaluateCase model in EvaluateCase.All)
        {
            var random = new Random(4);
            int steps = Math.Min(model.Window, 8);
            IParameters network = model.Create(1);
            float[] state = new float[model.StateLength];
            float[] inputs = EvaluateCase.Values(random, 6 * steps * model.InputSize);
            float[] single = model.Targets(random, Loss.Mse, steps);
            float[] batch = model.Targets(random, Loss.CrossEntropy, 6);
            model.Evaluate(network, state, inputs.AsSpan(0, steps * model.InputSize), single, Loss.Mse, LossOn.AllSteps, 0);
            model.EvaluateBatch(network, inputs, batch, 6, Loss.CrossEntropy, LossOn.LastStep, 1, SequenceLayout.TimeFirst);

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++)
            {
                model.Evaluate(network, state, inputs.AsSpan(0, steps * model.InputSize), single, Loss.Mse, LossOn.AllSteps, 0);
                model.EvaluateBatch(network, inputs, batch, 6, Loss.CrossEntropy, LossOn.LastStep, 1, SequenceLayout.TimeFirst);
            }

            Assert.True(GC.GetAllocatedBytesForCurrentThread() == before, $"{model.Name}: Evaluate allocated {GC.GetAllocatedBytesForCurrentThread() - before} bytes over 400 calls");
        }
    }

    [Theory]
    [InlineData(nameof(SmallLstm))]
    [InlineData(nameof(Gru32))]
    [InlineData(nameof(Stack))]
    [InlineData(nameof(FrontEnd))]
    public async Task Evaluate_ManyThreadsOneModel_WhileAnotherTrains_SameLossesAsSequentialCalls(string name)
    {
        // Four threads evaluate different batches on one model while a fifth runs Backward on it over and over (its tape and
        // gradients change under them; its parameters do not): each evaluation must give what it gives alone.
        const int threads = 4, rounds = 100;
        EvaluateCase model = EvaluateCase.Named(name);
        IParameters network = model.Create(8);
        int steps = Math.Min(model.Window, 6), batch = 5;
        var inputs = new float[threads][];
        var targets = new float[threads][];
        var expected = new float[threads];
        var random = new Random(9);
        for (int t = 0; t < threads; t++)
        {
            inputs[t] = EvaluateCase.Values(random, batch * steps * model.InputSize);
            targets[t] = model.Targets(random, Loss.Mse, batch * steps);
            expected[t] = model.EvaluateBatch(network, inputs[t], targets[t], batch, Loss.Mse, LossOn.AllSteps, 0, SequenceLayout.BatchFirst);
        }

        float[] trainInputs = EvaluateCase.Values(random, batch * steps * model.InputSize);
        float[] trainTargets = model.Targets(random, Loss.Mse, batch);
        using var stop = new CancellationTokenSource();
        using var barrier = new Barrier(threads + 1);
        Task trainer = Task.Factory.StartNew(() =>
        {
            barrier.SignalAndWait();
            while (!stop.IsCancellationRequested)
            {
                model.BackwardBatch(network, trainInputs, trainTargets, batch, Loss.Mse, LossOn.LastStep, 0, SequenceLayout.BatchFirst);
            }
        }, TaskCreationOptions.LongRunning);
        var mismatches = new int[threads];
        Task[] evaluators = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            barrier.SignalAndWait();
            for (int r = 0; r < rounds; r++)
            {
                float got = model.EvaluateBatch(network, inputs[t], targets[t], batch, Loss.Mse, LossOn.AllSteps, 0, SequenceLayout.BatchFirst);
                if (BitConverter.SingleToInt32Bits(got) != BitConverter.SingleToInt32Bits(expected[t]))
                {
                    mismatches[t]++;
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(evaluators);
        await stop.CancelAsync();
        await trainer;
        Assert.Equal(new int[threads], mismatches);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Evaluate_BadLengths_Throw_AndLeaveTheStateAlone(string name)
    {
        EvaluateCase model = EvaluateCase.Named(name);
        var random = new Random(6);
        int steps = Math.Min(model.Window, 4);
        IParameters network = model.Create(2);
        float[] inputs = EvaluateCase.Values(random, steps * model.InputSize);
        float[] start = EvaluateCase.Values(random, model.StateLength);
        float[] state = (float[])start.Clone();

        var targets = Assert.Throws<ArgumentException>(() => model.Evaluate(network, state, inputs, new float[(steps * model.OutputSize) + 1], Loss.Mse, LossOn.AllSteps, 0));
        Assert.Equal("targets", targets.ParamName);
        var empty = Assert.Throws<ArgumentException>(() => model.Evaluate(network, state, [], new float[model.OutputSize], Loss.Mse, LossOn.LastStep, 0));
        Assert.Equal("inputs", empty.ParamName);
        var tooLong = Assert.Throws<ArgumentException>(() => model.Evaluate(network, state, new float[(model.Window + 1) * model.InputSize], new float[model.OutputSize], Loss.Mse, LossOn.LastStep, 0));
        Assert.Equal("inputs", tooLong.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Evaluate(network, state, inputs, new float[model.OutputSize], Loss.Mse, LossOn.LastStep, steps));
        var classIndex = Assert.Throws<ArgumentException>(() => model.Evaluate(network, state, inputs, [model.OutputSize], Loss.CrossEntropy, LossOn.LastStep, 0));
        Assert.Equal("targets", classIndex.ParamName);
        if (model.StateLength > 0)
        {
            var shortState = Assert.Throws<ArgumentException>(() => model.Evaluate(network, new float[model.StateLength - 1], inputs, new float[model.OutputSize], Loss.Mse, LossOn.LastStep, 0));
            Assert.Equal("state", shortState.ParamName);
        }

        Assert.Equal(start, state);
        float[] threeSteps = new float[3 * model.InputSize];
        var batchInputs = Assert.Throws<ArgumentException>(() => model.EvaluateBatch(network, threeSteps, new float[2 * model.OutputSize], 2, Loss.Mse, LossOn.LastStep, 0, SequenceLayout.BatchFirst));
        Assert.Equal("inputs", batchInputs.ParamName);
        var batchTargets = Assert.Throws<ArgumentException>(() => model.EvaluateBatch(network, threeSteps, new float[model.OutputSize], 1, Loss.Mse, LossOn.AllSteps, 0, SequenceLayout.TimeFirst));
        Assert.Equal("targets", batchTargets.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.EvaluateBatch(network, inputs, new float[model.OutputSize], 0, Loss.Mse, LossOn.LastStep, 0, SequenceLayout.BatchFirst));
    }

    /// <summary>The private fields a model creates on its first Backward: gradients, tape and working memory (a stack's workspace).</summary>
    internal static (string Name, object? Value)[] TrainingBuffers(IParameters model)
    {
        const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;
        Type type = model.GetType();
        if (type.GetField("_network", Private)?.GetValue(model) is { } network)
        {
            FieldInfo workspace = network.GetType().GetField("_workspace", Private) ?? throw new InvalidOperationException(type.Name + ": no _workspace");
            return [("_gradients", Field(type, "_gradients").GetValue(model)), ("_workspace", workspace.GetValue(network))];
        }

        return [.. new[] { "_gradients", "_tape", "_work" }.Select(n => (n, Field(type, n).GetValue(model)))];

        static FieldInfo Field(Type type, string name) => type.GetField(name, Private) ?? throw new InvalidOperationException(type.Name + ": no field " + name);
    }
}
