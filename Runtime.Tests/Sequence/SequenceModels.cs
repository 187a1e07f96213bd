using System;

namespace Fixed.Tests.Sequence;

/// <summary>
/// What every model with <c>ProjSize</c> or <c>Bidirectional</c> has, bidirectional ones included (which do not implement
/// <see cref="IRecurrentModel{TSelf}"/>): the generated members satisfy it as they are, so the fixture tests are written
/// once over it.
/// </summary>
public interface ISequenceModel : IParameters
{
    void Forward(Span<float> state, ReadOnlySpan<float> inputs, Span<float> outputs);

    float Backward(Span<float> state, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Loss loss = Loss.Mse, LossOn on = LossOn.AllSteps, int warmUp = 0);

    float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss = Loss.Mse, LossOn on = LossOn.LastStep, int warmUp = 0,
        SequenceLayout layout = SequenceLayout.BatchFirst);

    void Load(string path);

    void ZeroGrad();
}

// The fixture models of scripts/make_sequence_fixtures.py (same names, snake_case there), sizes as in its CASES.

[Recurrent(3, 6, Cell = Cell.Lstm, ProjSize = 3, OutputSize = 2, Window = 8)]
public partial class LstmProjL1Head : ISequenceModel;

[Recurrent(2, 5, Cell = Cell.Lstm, ProjSize = 2, NumLayers = 2, Window = 8)]
public partial class LstmProjL2 : ISequenceModel;

[Recurrent(4, 7, Cell = Cell.Lstm, ProjSize = 4, NumLayers = 2, Bias = false, OutputSize = 3, Window = 8)]
public partial class LstmProjL2NobiasHead : ISequenceModel;

[Recurrent(2, 17, Cell = Cell.Lstm, ProjSize = 5, OutputSize = 1, Window = 8)]
public partial class LstmProjL1H17 : ISequenceModel;

/// <summary>Each fixture's model, by the fixture's name.</summary>
public static class SequenceModels
{
    public static ISequenceModel Create(string name) => name switch
    {
        "lstm_proj_l1_head" => new LstmProjL1Head(),
        "lstm_proj_l2" => new LstmProjL2(),
        "lstm_proj_l2_nobias_head" => new LstmProjL2NobiasHead(),
        "lstm_proj_l1_h17" => new LstmProjL1H17(),
        _ => throw new ArgumentException("no model for fixture " + name, nameof(name)),
    };
}
