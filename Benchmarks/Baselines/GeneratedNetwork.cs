using System;
using Fixed.Benchmarks.Models;

namespace Fixed.Benchmarks.Baselines;

/// <summary>A generated model behind <see cref="BenchNetwork"/>, trained with the runtime's own Adam.</summary>
/// <remarks>
/// The model is reached through a generic type argument (a class), so these calls go through the constrained
/// interface call of shared generic code; dynamic PGO turns that into a guarded direct call. <c>TargetStep</c>
/// measures the plain direct call a user writes, for comparison.
/// </remarks>
public sealed class GeneratedNetwork<TModel> : BenchNetwork, ILoadsWeights, IBatchTraining
    where TModel : class, IRecurrentModel<TModel>
{
    private readonly TModel _model;
    private readonly float[] _state = new float[TModel.StateLength];
    private readonly Adam _adam;

    /// <summary>Creates the model with PyTorch's default initialisation from <paramref name="seed"/>.</summary>
    public GeneratedNetwork(NetworkId network, int seed)
    {
        if (TModel.InputSize != network.Input || TModel.HiddenSize != network.Hidden || TModel.CellKind != network.Cell || TModel.OutputSize != 1)
        {
            throw new ArgumentException($"{typeof(TModel).Name} is not {network.Display} with one output.", nameof(network));
        }

        Network = network;
        _model = TModel.Create(seed);
        _adam = new Adam(_model, LearningRate);
    }

    /// <summary>The model itself.</summary>
    public TModel Model => _model;

    /// <inheritdoc />
    public override NetworkId Network { get; }

    /// <inheritdoc />
    public override Span<float> Parameters => _model.Parameters;

    /// <inheritdoc />
    public override Span<float> Gradients => _model.Gradients;

    /// <inheritdoc />
    public override Span<float> State => _state;

    /// <summary>Loads safetensors weights (PyTorch state_dict names) into the model.</summary>
    public void Load(string path) => _model.Load(path);

    /// <inheritdoc />
    public override void Step(ReadOnlySpan<float> input, Span<float> output) => _model.Step(_state, input, output);

    /// <inheritdoc />
    public override void Forward(ReadOnlySpan<float> inputs, Span<float> outputs) => _model.Forward(_state, inputs, outputs);

    /// <inheritdoc />
    public override float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        Array.Clear(_state);
        return _model.Backward(_state, inputs, targets, Loss.Mse, LossOn.AllSteps);
    }

    /// <summary>
    /// Batched BPTT as the seed's training loop runs it: <paramref name="batchSize"/> sequences of <c>[T, Input]</c> (batch
    /// first), each from the zero state, the MSE over every step; adds into <see cref="Gradients"/> and returns the loss.
    /// </summary>
    public float BackwardBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize) =>
        _model.Backward(inputs, targets, batchSize, Loss.Mse, LossOn.AllSteps);

    /// <inheritdoc />
    public override void ClipStepZero()
    {
        _model.ClipGradNorm(MaxGradNorm);
        _adam.Step();
        _model.ZeroGrad();
    }
}

/// <summary>A benchmark network that can load safetensors weights (the generated ones).</summary>
public interface ILoadsWeights
{
    /// <summary>Loads safetensors weights with PyTorch state_dict names.</summary>
    void Load(string path);
}
