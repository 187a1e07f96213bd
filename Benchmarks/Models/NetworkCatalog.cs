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

    /// <summary>Whether <paramref name="network"/> has a <see cref="Implementation.BFloat16"/> declaration (input-1 GRU and LSTM, hidden 32 and up).</summary>
    public static bool HasBFloat16(NetworkId network) =>
        network.Input == 1 && network.Hidden >= 32 && network.Cell is Cell.Gru or Cell.Lstm;

    /// <summary>Whether <paramref name="implementation"/> exists for <paramref name="network"/>.</summary>
    public static bool Exists(Implementation implementation, NetworkId network) =>
        implementation != Implementation.BFloat16 || HasBFloat16(network);

    /// <summary>The <c>WeightPrecision.BFloat16</c> declaration of <paramref name="network"/> (<see cref="HasBFloat16"/>).</summary>
    public static BenchNetwork CreateBFloat16(NetworkId network, int seed = Seed) =>
        (network.Cell, network.Input, network.Hidden) switch
        {
            (Cell.Gru, 1, 32) => new GeneratedNetwork<Gru1To32Bf16>(network, seed),
            (Cell.Gru, 1, 64) => new GeneratedNetwork<Gru1To64Bf16>(network, seed),
            (Cell.Gru, 1, 128) => new GeneratedNetwork<Gru1To128Bf16>(network, seed),
            (Cell.Lstm, 1, 32) => new GeneratedNetwork<Lstm1To32Bf16>(network, seed),
            (Cell.Lstm, 1, 64) => new GeneratedNetwork<Lstm1To64Bf16>(network, seed),
            (Cell.Lstm, 1, 128) => new GeneratedNetwork<Lstm1To128Bf16>(network, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(network), network, "No WeightPrecision.BFloat16 declaration of this network."),
        };

    /// <summary>One implementation by name: generated, bfloat16, scalar or tensorprimitives (all get the generated model's weights).</summary>
    public static BenchNetwork Create(Implementation implementation, NetworkId network, int seed = Seed)
    {
        BenchNetwork generated = CreateGenerated(network, seed);
        BenchNetwork result = implementation switch
        {
            Implementation.Generated => generated,
            Implementation.BFloat16 => CreateBFloat16(network, seed),
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

    /// <summary>The generated model declared with <c>WeightPrecision.BFloat16</c> (only where <see cref="NetworkCatalog.HasBFloat16"/>).</summary>
    BFloat16,
}
