using System.Globalization;
using System.Text;
using Fixed.Generator.Model;

namespace Fixed.Generator;

internal static partial class Emitter
{
    private const int BytesPerLine = 32;

    /// <summary>
    /// The parameterless constructor of a model with compiled-in weights: one copy from the assembly's constant data,
    /// nothing read from disk. The data is little-endian (safetensors' byte order); a big-endian machine swaps each float.
    /// </summary>
    private static void WriteEmbeddedConstructor(CodeWriter w, NetworkSpec spec, string writable = "_parameters.Writable", string? prologue = null)
    {
        w.Lines($$"""
            /// <summary>
            /// Creates the network with the weights compiled in from <c>{{XmlText(spec.Weights ?? spec.ModelFile!)}}</c> (the attribute's <c>{{(spec.Weights is null ? "ModelFile" : "Weights")}}</c>):
            /// nothing is read at run time. <c>new {{Identifier(spec.ClassName)}}(seed)</c> still gives PyTorch's default initialisation.
            /// </summary>
            public {{Identifier(spec.ClassName)}}()
            {
            {{(prologue is null ? string.Empty : "    " + prologue + "\n")}}    global::System.Span<float> parameters = {{writable}};
                if (global::System.BitConverter.IsLittleEndian)
                {
                    EmbeddedWeights.CopyTo(global::System.Runtime.InteropServices.MemoryMarshal.AsBytes(parameters));
                }
                else
                {
                    for (int i = 0; i < parameters.Length; i++)
                    {
                        parameters[i] = global::System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(EmbeddedWeights.Slice(4 * i));
                    }
                }
            }

            """);
    }

    /// <summary>
    /// The weights as a <c>ReadOnlySpan&lt;byte&gt;</c> over a constant byte array, which the C# compiler stores in the
    /// assembly's data section and reads in place (no array is allocated); one tensor after another, each introduced by
    /// a comment, 32 bytes a line.
    /// </summary>
    private static void WriteEmbeddedWeights(CodeWriter w, NetworkSpec spec, EquatableArray<byte> weights)
    {
        w.Line();
        w.Line("/// <summary>The compiled-in weights: <see cref=\"ParameterCount\"/> floats, little-endian, in <see cref=\"Parameters\"/> order.</summary>");
        w.Line("private static global::System.ReadOnlySpan<byte> EmbeddedWeights => new byte[]");
        w.Line("{");
        System.ReadOnlySpan<byte> bytes = weights.AsSpan();
        var line = new StringBuilder();
        foreach ((string name, long offset, int[] shape) in Tensors(spec))
        {
            long count = 1;
            foreach (int dimension in shape)
            {
                count *= dimension;
            }

            w.Line("    // " + name + " [" + string.Join(", ", System.Array.ConvertAll(shape, s => Int(s))) + "]: " + Int(count) + (count == 1 ? " float" : " floats"));
            int begin = (int)(offset * 4);
            int end = begin + (int)(count * 4);
            for (int start = begin; start < end; start += BytesPerLine)
            {
                line.Clear().Append("    ");
                int stop = System.Math.Min(start + BytesPerLine, end);
                for (int i = start; i < stop; i++)
                {
                    line.Append("0x").Append(bytes[i].ToString("X2", CultureInfo.InvariantCulture)).Append(i + 1 < stop ? ", " : ",");
                }

                w.Line(line.ToString());
            }
        }

        w.Line("};");
    }

    /// <summary>
    /// User text in a line comment: characters that C# reads as a line end (or any control character) would end the
    /// comment and let the rest be compiled, so they become '?'.
    /// </summary>
    private static string CommentText(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(char.IsControl(c) || c is '\u2028' or '\u2029' ? '?' : c);
        }

        return builder.ToString();
    }

    /// <summary>User text in an XML doc comment: a line comment's rules, and XML's special characters escaped.</summary>
    private static string XmlText(string text) =>
        CommentText(text).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
