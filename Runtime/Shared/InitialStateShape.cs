// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared),
// so that Load and compiled-in Weights accept the same files. Keep it netstandard2.0-compatible C#: see Runtime/Shared/README.md.
using System;
using System.Collections.Generic;

#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// The shapes a learned initial state (<c>LearnInitialState</c>: tensors <c>{layer}.h0</c> and, for the LSTM, <c>{layer}.c0</c>)
/// is read in. Fixed stores it as <c>[NumLayers, hiddenSize]</c>; PyTorch code declares it in the shape <c>nn.RNN</c> takes
/// its <c>h_0</c>, with a batch dimension of one (<c>nn.Parameter(torch.zeros(num_layers, 1, hidden_size))</c>, expanded
/// over the batch), so a file may also hold <c>[NumLayers, 1, hiddenSize]</c>: the same floats in the same order.
/// </summary>
internal static class InitialStateShape
{
    /// <summary>Whether <paramref name="name"/> is a learned initial state's tensor: its last part is <c>h0</c> or <c>c0</c>.</summary>
    public static bool IsInitialState(string name) =>
        name.EndsWith(".h0", StringComparison.Ordinal) || name.EndsWith(".c0", StringComparison.Ordinal);

    /// <summary>
    /// Whether a file's tensor of shape <paramref name="actual"/> loads into the model's tensor <paramref name="name"/> of
    /// shape <paramref name="expected"/>: the same shape, or, for an initial state <c>[L, H]</c>, PyTorch's <c>[L, 1, H]</c>.
    /// </summary>
    public static bool Fits(string name, IReadOnlyList<int> actual, IReadOnlyList<int> expected)
    {
        if (Same(actual, expected))
        {
            return true;
        }

        return IsInitialState(name) && expected.Count == 2 && actual.Count == 3
            && actual[0] == expected[0] && actual[1] == 1 && actual[2] == expected[1];
    }

    private static bool Same(IReadOnlyList<int> actual, IReadOnlyList<int> expected)
    {
        if (actual.Count != expected.Count)
        {
            return false;
        }

        for (int i = 0; i < actual.Count; i++)
        {
            if (actual[i] != expected[i])
            {
                return false;
            }
        }

        return true;
    }
}
