using System.Collections.Generic;

namespace Fixed;

/// <summary>One tensor of a model's flat parameter vector: its PyTorch state_dict name, offset and shape.</summary>
/// <param name="Name">The state_dict name, for example <c>rnn.weight_ih_l0</c>.</param>
/// <param name="Offset">Where the tensor starts in <c>Parameters</c> and <c>Gradients</c>.</param>
/// <param name="Shape">The tensor's shape, row-major as in PyTorch.</param>
public readonly record struct ParameterInfo(string Name, int Offset, IReadOnlyList<int> Shape)
{
    /// <summary>The number of floats in the tensor.</summary>
    public int Length
    {
        get
        {
            int length = 1;
            for (int i = 0; i < Shape.Count; i++)
            {
                length *= Shape[i];
            }

            return length;
        }
    }
}
