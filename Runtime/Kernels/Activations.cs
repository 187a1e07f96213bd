using System;
using System.Runtime.CompilerServices;

namespace Fixed;

/// <summary>
/// The cells' activations. Sigmoid is evaluated in the form that never divides infinity by infinity
/// (exp of a non-positive number only), so it gives 0 or 1, not NaN, for inputs of any magnitude;
/// tanh saturates to ±1. NaN in gives NaN out, as in PyTorch.
/// </summary>
internal static class Activations
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x)
    {
        if (x >= 0f)
        {
            return 1f / (1f + MathF.Exp(-x));
        }

        float e = MathF.Exp(x);
        return e / (1f + e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => MathF.Tanh(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float x) => x > 0f ? x : (float.IsNaN(x) ? x : 0f);

    public static void Sigmoid(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Sigmoid(values[i]);
        }
    }

    public static void Tanh(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = MathF.Tanh(values[i]);
        }
    }

    public static void Relu(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Relu(values[i]);
        }
    }
}
