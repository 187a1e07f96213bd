using System.Collections.Generic;

namespace Fixed;

/// <summary>One tensor of a <see cref="SafeTensorFile"/>, as its header describes it (already validated).</summary>
/// <param name="Name">The tensor's name, for example <c>rnn.weight_ih_l0</c>.</param>
/// <param name="DType">The safetensors dtype name: <c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>F64</c>, <c>I64</c>, <c>I32</c>, <c>I16</c>, <c>I8</c>, <c>U8</c>, <c>BOOL</c>, ...</param>
/// <param name="Shape">The shape, row-major; empty for a scalar.</param>
/// <param name="Begin">The first byte of the tensor, relative to the start of the data buffer.</param>
/// <param name="End">One past the last byte of the tensor, relative to the start of the data buffer.</param>
public readonly record struct SafeTensorEntry(string Name, string DType, IReadOnlyList<int> Shape, long Begin, long End)
{
    /// <summary>The size of the tensor's data in bytes: <c>End - Begin</c>.</summary>
    public long ByteLength => End - Begin;

    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            for (int i = 0; i < Shape.Count; i++)
            {
                count *= Shape[i];
            }

            return count;
        }
    }
}
