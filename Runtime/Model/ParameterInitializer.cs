using System;
using System.ComponentModel;

namespace Fixed.Engine;

/// <summary>
/// PyTorch's default initialisation distribution, drawn from a seeded generator of our own (SplitMix64) so
/// that the same seed gives bit-identical weights on every machine and .NET version.
/// Recurrent weights and biases ~ U(-1/√H, 1/√H); the Linear head ~ U(-1/√in, 1/√in) with in = H, as nn.Linear.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ParameterInitializer
{
    /// <summary>The seed the parameterless constructor of a generated model uses.</summary>
    public const int DefaultSeed = 0;

    /// <summary>Fills <paramref name="parameters"/> for the shape <typeparamref name="TShape"/>.</summary>
    public static void Initialize<TShape>(Span<float> parameters, int seed)
        where TShape : struct, INetworkShape
    {
        Guard.Length(parameters, Shape<TShape>.ParameterCount, nameof(parameters), "[ParameterCount={0}]", Shape<TShape>.ParameterCount);
        ulong stateBits = Start(seed);
        // Recurrent layers and the head share the bound 1/√H (the head's fan-in is H).
        Uniform(parameters, 1f / MathF.Sqrt(TShape.HiddenSize), ref stateBits);
    }

    /// <summary>
    /// The generator state a layer stack starts from for <paramref name="seed"/>; its layers then draw in stack order
    /// (<see cref="Uniform"/>), so the same seed gives bit-identical weights.
    /// </summary>
    public static ulong Start(int seed) => unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E8B5UL);

    /// <summary>
    /// Fills <paramref name="values"/> from U(-bound, bound), advancing <paramref name="state"/>: a recurrent layer's
    /// tensors with bound 1/√hidden_size, a Linear layer's weight and bias with 1/√in_features, as PyTorch does.
    /// </summary>
    public static void Uniform(Span<float> values, float bound, ref ulong state)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (2f * NextUnit(ref state) - 1f) * bound;
        }
    }

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    private static float NextUnit(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 40) * (1f / (1 << 24));
    }
}
