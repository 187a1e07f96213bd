using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Fixed.Tests.IO;

/// <summary>Hand-built safetensors files for the tests, and the tiny fake model layout they load into.</summary>
internal static class SafeTensorBytes
{
    /// <summary>
    /// A stand-in for a generated model's layout: a recurrent weight, a recurrent bias and a head weight,
    /// 12 floats in all, with shapes whose transposes differ so that a swapped shape is caught.
    /// </summary>
    public static readonly ParameterInfo[] Layout =
    [
        new("rnn.weight_ih_l0", 0, [3, 2]),
        new("rnn.bias_ih_l0", 6, [3]),
        new("linear.weight", 9, [1, 3]),
    ];

    public const int ParameterCount = 12;

    /// <summary>Distinct, exactly representable values, so that any misplaced float shows.</summary>
    public static float[] Parameters()
    {
        var values = new float[ParameterCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = 0.5f * (i + 1) * (i % 2 == 0 ? 1 : -1);
        }

        return values;
    }

    /// <summary>The file ModelWeights.Save writes for <see cref="Parameters"/>.</summary>
    public static byte[] SavedModel(IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        ModelWeights.Save(stream, Layout, Parameters(), metadata);
        return stream.ToArray();
    }

    /// <summary>The 8-byte length, then <paramref name="header"/> as UTF-8 (unpadded), then <paramref name="data"/>.</summary>
    public static byte[] File(string header, ReadOnlySpan<byte> data) => File(Encoding.UTF8.GetBytes(header), data);

    /// <summary>The 8-byte length, then <paramref name="header"/>, then <paramref name="dataLength"/> bytes of data.</summary>
    public static byte[] File(string header, int dataLength) => File(header, new byte[dataLength]);

    /// <summary>The 8-byte length, then the raw header bytes, then <paramref name="data"/>.</summary>
    public static byte[] File(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        byte[] file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file.AsSpan(8));
        data.CopyTo(file.AsSpan(8 + header.Length));
        return file;
    }

    /// <summary>Little-endian F32 bytes of <paramref name="values"/>.</summary>
    public static byte[] Floats(params float[] values)
    {
        byte[] bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    /// <summary>A header holding the layout's three tensors under the given names, with the weight's shape and dtype given.</summary>
    public static byte[] ModelFile(
        string weightName = "rnn.weight_ih_l0", string biasName = "rnn.bias_ih_l0", string headName = "linear.weight",
        string weightShape = "[3,2]", string weightDType = "F32")
    {
        string header =
            "{\"" + weightName + "\":{\"dtype\":\"" + weightDType + "\",\"shape\":" + weightShape + ",\"data_offsets\":[0,24]}," +
            "\"" + biasName + "\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[24,36]}," +
            "\"" + headName + "\":{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[36,48]}}";
        return File(header, Floats(Parameters()));
    }

    /// <summary>Sentinel values that no successful load can produce from <see cref="Parameters"/>.</summary>
    public static float[] Sentinel()
    {
        var values = new float[ParameterCount];
        Array.Fill(values, -12345.25f);
        return values;
    }
}
