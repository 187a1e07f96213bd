using System;
using Fixed.Tests.Sequence;

namespace Fixed.Tests.Stacks;

// The fixture stacks of scripts/make_stack_sequence_fixtures.py (same names, snake_case there), layers as in its CASES. Each
// satisfies ISequenceModel as generated, so SequenceParityTests' checks are written once over it.

/// <summary>The example: an LSTM with two layers, both directions and a projection, between two Linear layers.</summary>
[Linear(2, 6, Name = "fc_in")]
[Tanh]
[Recurrent(6, 8, Cell = Cell.Lstm, NumLayers = 2, Bidirectional = true, ProjSize = 4, Name = "lstm", Window = 8)]
[Linear(8, 1, Name = "fc_out")]
public partial class LstmBiProjStack : ISequenceModel;

/// <summary>A bidirectional GRU between Linear layers.</summary>
[Linear(3, 5, Name = "fc_in")]
[Relu]
[Recurrent(5, 4, Cell = Cell.Gru, Bidirectional = true, Name = "gru", Window = 8)]
[Linear(8, 2, Name = "fc_out")]
public partial class GruBiStack : ISequenceModel;

/// <summary>
/// <see cref="GruBiStack"/> with a sigmoid for its ReLU, for the central differences: a ReLU's kink within the difference's
/// step makes the loss non-differentiable there.
/// </summary>
[Linear(3, 5, Name = "fc_in")]
[Sigmoid]
[Recurrent(5, 4, Cell = Cell.Gru, Bidirectional = true, Name = "gru", Window = 8)]
[Linear(8, 2, Name = "fc_out")]
public partial class GruBiSmoothStack : ISequenceModel;

/// <summary>A bidirectional RNN read by an ordinary GRU (the packed engine, in a stack without Step), a Linear and a residual.</summary>
[Recurrent(3, 4, Bidirectional = true, Name = "birnn", Window = 8)]
[Recurrent(8, 5, Cell = Cell.Gru, Name = "gru", Window = 8)]
[Linear(5, 2)]
[AddInput(2)]
public partial class RnnBiGruSkipStack : ISequenceModel;

/// <summary>A projected LSTM in a stack that streams: Step, WarmUp and many streams, as any stack.</summary>
[Recurrent(2, 6, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 3, Name = "enc", Window = 8)]
[Linear(3, 4, Name = "mid")]
[Tanh]
[Recurrent(4, 5, Cell = Cell.Gru, Name = "dec", Window = 8)]
[Linear(5, 2, Name = "head")]
public partial class LstmProjStreamStack : ISequenceModel;

/// <summary>Each fixture's stack, by the fixture's name.</summary>
public static class StackSequenceModels
{
    public static ISequenceModel Create(string name) => name switch
    {
        "lstm_bi_proj_stack" => new LstmBiProjStack(),
        "gru_bi_stack" => new GruBiStack(),
        "rnn_bi_gru_skip_stack" => new RnnBiGruSkipStack(),
        "lstm_proj_stream_stack" => new LstmProjStreamStack(),
        _ => throw new ArgumentException("no stack for fixture " + name, nameof(name)),
    };
}
