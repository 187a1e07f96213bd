using System;
using Fixed.Benchmarks.Baselines;

namespace Fixed.Benchmarks.Models;

/// <summary>Creates every implementation of a grid network by its <see cref="NetworkId"/>.</summary>
public static class NetworkCatalog
{
    /// <summary>The BPTT window of every benchmark network.</summary>
    public const int Window = 32;

    /// <summary>The seed of the weights every benchmark starts from (PyTorch's default init distribution).</summary>
    public const int Seed = 1;

    /// <summary>The generated model of <paramref name="network"/>.</summary>
    public static BenchNetwork CreateGenerated(NetworkId network, int seed = Seed) =>
        (network.Cell, network.Input, network.Hidden) switch
        {
            (Cell.Rnn, 1, 8) => new GeneratedNetwork<Rnn1To8>(network, seed),
            (Cell.Rnn, 1, 16) => new GeneratedNetwork<Rnn1To16>(network, seed),
            (Cell.Rnn, 1, 32) => new GeneratedNetwork<Rnn1To32>(network, seed),
            (Cell.Rnn, 1, 64) => new GeneratedNetwork<Rnn1To64>(network, seed),
            (Cell.Rnn, 1, 128) => new GeneratedNetwork<Rnn1To128>(network, seed),
            (Cell.Rnn, 8, 8) => new GeneratedNetwork<Rnn8To8>(network, seed),
            (Cell.Rnn, 8, 16) => new GeneratedNetwork<Rnn8To16>(network, seed),
            (Cell.Rnn, 8, 32) => new GeneratedNetwork<Rnn8To32>(network, seed),
            (Cell.Rnn, 8, 64) => new GeneratedNetwork<Rnn8To64>(network, seed),
            (Cell.Rnn, 8, 128) => new GeneratedNetwork<Rnn8To128>(network, seed),
            (Cell.Gru, 1, 8) => new GeneratedNetwork<Gru1To8>(network, seed),
            (Cell.Gru, 1, 16) => new GeneratedNetwork<Gru1To16>(network, seed),
            (Cell.Gru, 1, 32) => new GeneratedNetwork<Gru1To32>(network, seed),
            (Cell.Gru, 1, 64) => new GeneratedNetwork<Gru1To64>(network, seed),
            (Cell.Gru, 1, 128) => new GeneratedNetwork<Gru1To128>(network, seed),
            (Cell.Gru, 8, 8) => new GeneratedNetwork<Gru8To8>(network, seed),
            (Cell.Gru, 8, 16) => new GeneratedNetwork<Gru8To16>(network, seed),
            (Cell.Gru, 8, 32) => new GeneratedNetwork<Gru8To32>(network, seed),
            (Cell.Gru, 8, 64) => new GeneratedNetwork<Gru8To64>(network, seed),
            (Cell.Gru, 8, 128) => new GeneratedNetwork<Gru8To128>(network, seed),
            (Cell.Lstm, 1, 8) => new GeneratedNetwork<Lstm1To8>(network, seed),
            (Cell.Lstm, 1, 16) => new GeneratedNetwork<Lstm1To16>(network, seed),
            (Cell.Lstm, 1, 32) => new GeneratedNetwork<Lstm1To32>(network, seed),
            (Cell.Lstm, 1, 64) => new GeneratedNetwork<Lstm1To64>(network, seed),
            (Cell.Lstm, 1, 128) => new GeneratedNetwork<Lstm1To128>(network, seed),
            (Cell.Lstm, 8, 8) => new GeneratedNetwork<Lstm8To8>(network, seed),
            (Cell.Lstm, 8, 16) => new GeneratedNetwork<Lstm8To16>(network, seed),
            (Cell.Lstm, 8, 32) => new GeneratedNetwork<Lstm8To32>(network, seed),
            (Cell.Lstm, 8, 64) => new GeneratedNetwork<Lstm8To64>(network, seed),
            (Cell.Lstm, 8, 128) => new GeneratedNetwork<Lstm8To128>(network, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(network), network, "Not a network of the benchmark grid."),
        };

    /// <summary>One implementation by name: generated, scalar or tensorprimitives (baselines get the generated model's weights).</summary>
    public static BenchNetwork Create(Implementation implementation, NetworkId network, int seed = Seed)
    {
        BenchNetwork generated = CreateGenerated(network, seed);
        BenchNetwork result = implementation switch
        {
            Implementation.Generated => generated,
            Implementation.Scalar => new ScalarNetwork(network, Window),
            Implementation.TensorPrimitives => new TensorPrimitivesNetwork(network, Window),
            _ => throw new ArgumentOutOfRangeException(nameof(implementation), implementation, null),
        };
        if (result != generated)
        {
            result.CopyParametersFrom(generated);
        }

        return result;
    }
}

/// <summary>The in-process implementations compared by every suite.</summary>
public enum Implementation
{
    /// <summary>The source-generated model.</summary>
    Generated,

    /// <summary><see cref="ScalarNetwork"/>.</summary>
    Scalar,

    /// <summary><see cref="TensorPrimitivesNetwork"/>.</summary>
    TensorPrimitives,
}
