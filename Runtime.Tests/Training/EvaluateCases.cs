using System;
using System.Collections.Generic;
using Fixed.Tests.Stacks;

namespace Fixed.Tests.Training;

/// <summary>A model's single-sequence Evaluate or Backward on a flat state.</summary>
public delegate float SingleCall(object model, Span<float> state, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Loss loss, LossOn on, int warmUp);

/// <summary>A model's batched Evaluate or Backward.</summary>
public delegate float BatchCall(object model, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Loss loss, LossOn on, int warmUp,
    SequenceLayout layout);

/// <summary>
/// One generated model seen through delegates, so that the Evaluate tests run the same checks over every cell, the one-attribute
/// models and the layer stacks (Evaluate is a generated member, not one of <see cref="IRecurrentModel{TSelf}"/>'s).
/// </summary>
public sealed class EvaluateCase
{
    public required string Name { get; init; }

    public required int InputSize { get; init; }

    public required int OutputSize { get; init; }

    public required int StateLength { get; init; }

    public required int Window { get; init; }

    public required Func<int, IParameters> Create { get; init; }

    public required SingleCall Backward { get; init; }

    public required SingleCall Evaluate { get; init; }

    public required BatchCall BackwardBatch { get; init; }

    public required BatchCall EvaluateBatch { get; init; }

    public override string ToString() => Name;

    public static EvaluateCase Of<T>(SingleCall evaluate, BatchCall evaluateBatch)
        where T : IRecurrentModel<T> => new()
    {
        Name = typeof(T).Name,
        InputSize = T.InputSize,
        OutputSize = T.OutputSize,
        StateLength = T.StateLength,
        Window = T.Window,
        Create = seed => T.Create(seed),
        Backward = (m, s, x, y, loss, on, warmUp) => ((T)m).Backward(s, x, y, loss, on, warmUp),
        BackwardBatch = (m, x, y, batch, loss, on, warmUp, layout) => ((T)m).Backward(x, y, batch, loss, on, warmUp, layout),
        Evaluate = evaluate,
        EvaluateBatch = evaluateBatch,
    };

    /// <summary>Every cell, with and without a head, one and two layers, and the layer stacks (recurrent first, Linear first, none).</summary>
    public static readonly IReadOnlyList<EvaluateCase> All =
    [
        Of<SmallRnn>((m, s, x, y, l, o, w) => ((SmallRnn)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((SmallRnn)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<SmallReluRnn>((m, s, x, y, l, o, w) => ((SmallReluRnn)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((SmallReluRnn)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<SmallGru>((m, s, x, y, l, o, w) => ((SmallGru)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((SmallGru)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<SmallLstm>((m, s, x, y, l, o, w) => ((SmallLstm)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((SmallLstm)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<SmallGruNoHead>((m, s, x, y, l, o, w) => ((SmallGruNoHead)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((SmallGruNoHead)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<RnnRegression>((m, s, x, y, l, o, w) => ((RnnRegression)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((RnnRegression)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<Gru32>((m, s, x, y, l, o, w) => ((Gru32)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((Gru32)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<Lstm32>((m, s, x, y, l, o, w) => ((Lstm32)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((Lstm32)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<Stack>((m, s, x, y, l, o, w) => ((Stack)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((Stack)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<FrontEnd>((m, s, x, y, l, o, w) => ((FrontEnd)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((FrontEnd)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<PerStepMlp>((m, s, x, y, l, o, w) => ((PerStepMlp)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((PerStepMlp)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<MixedStack>((m, s, x, y, l, o, w) => ((MixedStack)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((MixedStack)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<SmoothStack>((m, s, x, y, l, o, w) => ((SmoothStack)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((SmoothStack)m).Evaluate(x, y, b, l, o, w, lay)),
        Of<ResidualStack>((m, s, x, y, l, o, w) => ((ResidualStack)m).Evaluate(s, x, y, l, o, w), (m, x, y, b, l, o, w, lay) => ((ResidualStack)m).Evaluate(x, y, b, l, o, w, lay)),
    ];

    public static EvaluateCase Named(string name) => ((List<EvaluateCase>)[.. All]).Find(c => c.Name == name)
        ?? throw new ArgumentException("no Evaluate case named " + name, nameof(name));

    /// <summary>Targets for <paramref name="loss"/>: values near the outputs' range, or class indices for cross-entropy.</summary>
    public float[] Targets(Random random, Loss loss, int rows)
    {
        if (loss == Loss.CrossEntropy)
        {
            var classes = new float[rows];
            for (int i = 0; i < rows; i++)
            {
                classes[i] = random.Next(OutputSize);
            }

            return classes;
        }

        return Values(random, rows * OutputSize);
    }

    public static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }
}
