using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Fixed.Tests.Generator;

/// <summary>
/// Safetensors files for the weights tests, built tensor by tensor so that each test can break exactly one thing.
/// The model they fit is <see cref="Model"/>: nn.RNN(2, 3) + nn.Linear(3, 1), 25 floats.
/// </summary>
internal static class WeightsFiles
{
    public const string Model = """
        using Fixed;

        [Recurrent(2, 3, OutputSize = 1, Weights = "model.safetensors")]
        public partial class M;
        """;

    /// <summary>The text a diagnostic about the weights file is located on.</summary>
    public const string WeightsArgument = "Weights = \"model.safetensors\"";

    /// <summary>One tensor of a file: name, dtype, shape, and its values (as floats; written in the dtype's width).</summary>
    public sealed record Tensor(string Name, int[] Shape, string DType = "F32")
    {
        public long Elements => Shape.Aggregate(1L, (a, b) => a * b);

        public int ElementSize => DType switch { "F64" or "I64" => 8, "F16" or "BF16" => 2, _ => 4 };
    }

    /// <summary>The tensors of <see cref="Model"/>, in state_dict order.</summary>
    public static List<Tensor> ModelTensors() =>
    [
        new("rnn.weight_ih_l0", [3, 2]),
        new("rnn.weight_hh_l0", [3, 3]),
        new("rnn.bias_ih_l0", [3]),
        new("rnn.bias_hh_l0", [3]),
        new("linear.weight", [1, 3]),
        new("linear.bias", [1]),
    ];

    /// <summary>
    /// A valid file holding <paramref name="tensors"/> in the order given, with distinct values: the k-th float of the
    /// file (counted across tensors in state_dict order of the name) is <see cref="ValueOf"/>(name, k).
    /// </summary>
    public static byte[] File(IEnumerable<Tensor> tensors)
    {
        var header = new StringBuilder("{");
        var data = new List<byte>();
        foreach (Tensor tensor in tensors)
        {
            long begin = data.Count;
            for (int k = 0; k < tensor.Elements; k++)
            {
                byte[] element = new byte[tensor.ElementSize];
                if (tensor.ElementSize == 4)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(element, ValueOf(tensor.Name, k));
                }
                else if (tensor.ElementSize == 8)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(element, ValueOf(tensor.Name, k));
                }

                data.AddRange(element);
            }

            header.Append(header.Length > 1 ? "," : string.Empty)
                .Append(CultureInfo.InvariantCulture, $"\"{tensor.Name}\":{{\"dtype\":\"{tensor.DType}\",\"shape\":[{string.Join(",", tensor.Shape)}],\"data_offsets\":[{begin},{data.Count}]}}");
        }

        return Raw(header.Append('}').ToString(), [.. data]);
    }

    /// <summary>The model's own tensors, in state_dict order.</summary>
    public static byte[] ValidFile() => File(ModelTensors());

    /// <summary>The 8-byte length, the header, then <paramref name="data"/>: for files broken on purpose.</summary>
    public static byte[] Raw(string header, byte[] data)
    {
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        byte[] file = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        data.CopyTo(file, 8 + headerBytes.Length);
        return file;
    }

    /// <summary>A value that tells tensor and position apart and is exact in float32.</summary>
    public static float ValueOf(string name, int index) =>
        (ModelTensors().FindIndex(t => t.Name == name) + 1) * 100 + index * 0.25f;

    /// <summary>The model's parameters as the file from <see cref="ValidFile"/> should give them.</summary>
    public static float[] ExpectedParameters() =>
        ModelTensors().SelectMany(t => Enumerable.Range(0, (int)t.Elements).Select(k => ValueOf(t.Name, k))).ToArray();
}
