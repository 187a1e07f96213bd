using System;

namespace Fixed;

/// <summary>
/// A <c>nn.Linear(inFeatures, outFeatures)</c> layer in a layer stack, applied at every step: <c>y = W x + b</c>, with
/// <c>weight</c> <c>[outFeatures, inFeatures]</c> and <c>bias</c> <c>[outFeatures]</c> under the layer's <see cref="Name"/>.
/// </summary>
/// <example><code>[Recurrent(3, 16, Cell = Cell.Gru)] [Linear(16, 8, Name = "fc1")] [Relu] [Linear(8, 2, Name = "fc2")] public partial class Classifier;</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LinearAttribute : Attribute
{
    /// <summary>Declares a Linear layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/> features.</summary>
    public LinearAttribute(int inFeatures, int outFeatures)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    /// <summary>Features in (PyTorch's <c>in_features</c>): the previous layer's output size.</summary>
    public int InFeatures { get; }

    /// <summary>Features out (PyTorch's <c>out_features</c>).</summary>
    public int OutFeatures { get; }

    /// <summary>Whether the layer adds a bias (PyTorch's <c>bias</c>); default true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>The layer's <c>state_dict</c> prefix; default <c>"linear"</c>.</summary>
    public string? Name { get; set; }
}

/// <summary><c>nn.ReLU()</c> in a layer stack: <c>max(x, 0)</c> on every feature.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReluAttribute : Attribute;

/// <summary><c>nn.LeakyReLU(negative_slope)</c> in a layer stack: <c>x</c> for <c>x &gt; 0</c>, else <c>NegativeSlope·x</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LeakyReluAttribute : Attribute
{
    /// <summary>The slope for negative inputs (PyTorch's <c>negative_slope</c>); default 0.01. Must be finite.</summary>
    public float NegativeSlope { get; set; } = 0.01f;
}

/// <summary><c>nn.ELU(alpha)</c> in a layer stack: <c>x</c> for <c>x &gt; 0</c>, else <c>Alpha·(eˣ − 1)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EluAttribute : Attribute
{
    /// <summary>PyTorch's <c>alpha</c>; default 1. Must be finite.</summary>
    public float Alpha { get; set; } = 1f;
}

/// <summary><c>nn.GELU()</c> in a layer stack, the exact form <c>x·Φ(x)</c> (with erf, not the tanh approximation).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GeluAttribute : Attribute;

/// <summary><c>nn.Tanh()</c> in a layer stack.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : Attribute;

/// <summary><c>nn.Sigmoid()</c> in a layer stack.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : Attribute;

/// <summary><c>nn.Softmax(dim=-1)</c> in a layer stack: over the features of each step.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxAttribute : Attribute;

/// <summary>
/// A residual (skip) connection in a layer stack: adds the stack's first <see cref="Features"/> input features to the
/// output of the layer before it, at every step — PyTorch's <c>y = y + x[..., :features]</c>, where <c>x</c> is the
/// network's input, as the guitar-amp trainers' <c>SimpleRNN</c> returns <c>lin(rec(x)) + x[..., :skip]</c>. No
/// parameters. <see cref="Features"/> must equal the width where it is added (there is no broadcasting) and be at most
/// the stack's <c>InputSize</c>.
/// </summary>
/// <example><code>[Recurrent(1, 16, Cell = Cell.Lstm)] [Linear(16, 1)] [AddInput(1)] public partial class Amp;</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddInputAttribute : Attribute
{
    /// <summary>Declares a residual that adds the first <paramref name="features"/> input features.</summary>
    public AddInputAttribute(int features) => Features = features;

    /// <summary>How many of the stack's input features, from the first, are added (the trainers' <c>skip</c>).</summary>
    public int Features { get; }
}
