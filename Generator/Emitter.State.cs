using Fixed.Generator.Model;
using Fixed.Generator.Shared;

namespace Fixed.Generator;

internal static partial class Emitter
{
    private static void WriteState(CodeWriter w, NetworkSpec spec)
    {
        bool lstm = spec.Cell == Cell.Lstm;
        w.Lines($$"""
            /// <summary>
            /// The recurrent state: h{{(lstm ? " and c" : string.Empty)}} of every layer, {{Int(spec.StateLength)}} floats in a value type with no
            /// references, so it lives on the caller's stack. <c>default</c> is the zero state (PyTorch's <c>h0 = 0</c>).
            /// </summary>
            public struct State
            {
                private Buffer _values;

                /// <summary>All {{Int(spec.StateLength)}} floats: per layer, h{{(lstm ? " then c" : string.Empty)}}.</summary>
                [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                public {{Span}} Values => _values;

                /// <summary>The hidden state h of <paramref name="layer"/> (0 is the bottom layer).</summary>
                [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                public {{Span}} Hidden(int layer) => Values.Slice(CheckLayer(layer) * {{Int(spec.StatePerLayer)}}, HiddenSize);

            """);
        if (lstm)
        {
            w.Lines($$"""
                    /// <summary>The LSTM cell state c of <paramref name="layer"/>.</summary>
                    [global::System.Diagnostics.CodeAnalysis.UnscopedRef]
                    public {{Span}} Cell(int layer) => Values.Slice(CheckLayer(layer) * {{Int(spec.StatePerLayer)}} + HiddenSize, HiddenSize);

                """);
        }

        w.Lines($$"""
                /// <summary>Sets the state back to zero.</summary>
                public void Reset() => Values.Clear();

                private static int CheckLayer(int layer) =>
                    (uint)layer < NumLayers ? layer : throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, "layer must be in [0, NumLayers - 1] = [0, {{Int(spec.NumLayers - 1)}}].");

                [global::System.Runtime.CompilerServices.InlineArray(StateLength)]
                private struct Buffer
                {
                    private float _element;
                }
            }

            """);
    }
}
