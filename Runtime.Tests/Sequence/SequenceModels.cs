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

    float Evaluate(Span<float> state, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Loss loss = Loss.Mse, LossOn on = LossOn.AllSteps, int warmUp = 0);

    float Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss = Loss.Mse, LossOn on = LossOn.LastStep, int warmUp = 0,
        SequenceLayout layout = SequenceLayout.BatchFirst);

    float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths, Loss loss = Loss.Mse, LossOn on = LossOn.LastStep,
        SequenceLayout layout = SequenceLayout.BatchFirst);

    float Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> lengths, Loss loss = Loss.Mse, LossOn on = LossOn.LastStep,
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

[Recurrent(2, 4, Bidirectional = true, OutputSize = 2, Window = 8)]
public partial class RnnBiL1Head : ISequenceModel;

[Recurrent(3, 5, Bidirectional = true, NumLayers = 2, Nonlinearity = Nonlinearity.Relu, Window = 8)]
public partial class RnnBiL2Relu : ISequenceModel;

[Recurrent(3, 5, Cell = Cell.Gru, Bidirectional = true, Window = 8)]
public partial class GruBiL1 : ISequenceModel;

[Recurrent(2, 4, Cell = Cell.Gru, Bidirectional = true, NumLayers = 2, OutputSize = 3, Window = 8)]
public partial class GruBiL2Head : ISequenceModel;

[Recurrent(2, 17, Cell = Cell.Gru, Bidirectional = true, OutputSize = 1, Window = 8)]
public partial class GruBiL1H17 : ISequenceModel;

[Recurrent(2, 6, Cell = Cell.Lstm, Bidirectional = true, OutputSize = 1, Window = 8)]
public partial class LstmBiL1Head : ISequenceModel;

[Recurrent(3, 4, Cell = Cell.Lstm, Bidirectional = true, NumLayers = 2, Bias = false, Window = 8)]
public partial class LstmBiL2Nobias : ISequenceModel;

[Recurrent(2, 6, Cell = Cell.Lstm, Bidirectional = true, NumLayers = 2, ProjSize = 3, OutputSize = 2, Window = 8)]
public partial class LstmBiProjL2Head : ISequenceModel;

/// <summary>Each fixture's model, by the fixture's name.</summary>
public static class SequenceModels
{
    public static ISequenceModel Create(string name) => name switch
    {
        "lstm_proj_l1_head" => new LstmProjL1Head(),
        "lstm_proj_l2" => new LstmProjL2(),
        "lstm_proj_l2_nobias_head" => new LstmProjL2NobiasHead(),
        "lstm_proj_l1_h17" => new LstmProjL1H17(),
        "rnn_bi_l1_head" => new RnnBiL1Head(),
        "rnn_bi_l2_relu" => new RnnBiL2Relu(),
        "gru_bi_l1" => new GruBiL1(),
        "gru_bi_l2_head" => new GruBiL2Head(),
        "gru_bi_l1_h17" => new GruBiL1H17(),
        "lstm_bi_l1_head" => new LstmBiL1Head(),
        "lstm_bi_l2_nobias" => new LstmBiL2Nobias(),
        "lstm_bi_proj_l2_head" => new LstmBiProjL2Head(),
        _ => throw new ArgumentException("no model for fixture " + name, nameof(name)),
    };
}
