using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Fixed.Engine;

/// <summary>
/// The per-step layers of a layer stack — <c>nn.Linear</c> and the activation modules — forward and backward, as
/// PyTorch computes them. Generated stacks call these with each layer's sizes as constants; public only for that reason.
/// </summary>
/// <remarks>
/// A Linear layer's parameters are PyTorch's: <c>weight</c> <c>[out, in]</c> row-major, then <c>bias</c> <c>[out]</c>.
/// The sequence forms take <c>[n, in]</c> and <c>[n, out]</c>; the backward forms add into the gradients and write
/// dLoss/dInput (never accumulate into it), and need each layer's input and output as the forward pass left them.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LayerKernels
{
    /// <summary>
    /// Throws the library's length error unless <paramref name="span"/> has exactly <paramref name="expected"/> floats;
    /// <paramref name="shapeFormat"/> (with <paramref name="size"/> as <c>{0}</c>) is formatted only then.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CheckLength(ReadOnlySpan<float> span, int expected, string parameterName, string shapeFormat, int size) =>
        Guard.Length(span, expected, parameterName, shapeFormat, size);

    /// <summary>Checks that <paramref name="span"/> is a positive whole number of rows of <paramref name="rowLength"/>; returns the rows (T).</summary>
    public static int CheckRows(ReadOnlySpan<float> span, int rowLength, string parameterName, string shapeFormat) =>
        Guard.Rows(span, rowLength, parameterName, shapeFormat);

    /// <summary><c>y = W x + b</c> for one step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Linear(ReadOnlySpan<float> parameters, int inFeatures, int outFeatures, bool bias, ReadOnlySpan<float> x, Span<float> y)
    {
        ReadOnlySpan<float> b = bias ? parameters.Slice(outFeatures * inFeatures, outFeatures) : default;
        VectorMath.Project(parameters.Slice(0, outFeatures * inFeatures), outFeatures, inFeatures, x, b, y.Slice(0, outFeatures), bias, accumulate: false);
    }

    /// <summary><see cref="Linear(ReadOnlySpan{float}, int, int, bool, ReadOnlySpan{float}, Span{float})"/> over <c>[n, in]</c>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void LinearSequence(ReadOnlySpan<float> parameters, int inFeatures, int outFeatures, bool bias, ReadOnlySpan<float> xs, Span<float> ys)
    {
        int steps = xs.Length / inFeatures;
        for (int t = 0; t < steps; t++)
        {
            Linear(parameters, inFeatures, outFeatures, bias, xs.Slice(t * inFeatures, inFeatures), ys.Slice(t * outFeatures, outFeatures));
        }
    }

    /// <summary>
    /// The Linear layer's backward over <c>[n, …]</c>: <c>dW += dyᵀ x</c>, <c>db += Σ dy</c>, and, unless
    /// <paramref name="dxs"/> is empty (the bottom layer), <c>dx = Wᵀ dy</c>.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void LinearBackward(ReadOnlySpan<float> parameters, Span<float> gradients, int inFeatures, int outFeatures, bool bias,
        ReadOnlySpan<float> xs, ReadOnlySpan<float> dys, Span<float> dxs)
    {
        int steps = xs.Length / inFeatures;
        int weights = outFeatures * inFeatures;
        ReadOnlySpan<float> w = parameters.Slice(0, weights);
        Span<float> gw = gradients.Slice(0, weights);
        for (int t = 0; t < steps; t++)
        {
            ReadOnlySpan<float> x = xs.Slice(t * inFeatures, inFeatures);
            ReadOnlySpan<float> dy = dys.Slice(t * outFeatures, outFeatures);
            if (bias)
            {
                VectorMath.Add(dy, gradients.Slice(weights, outFeatures));
            }

            if (dxs.IsEmpty)
            {
                VectorMath.OuterAdd(dy, x, gw);
            }
            else
            {
                Span<float> dx = dxs.Slice(t * inFeatures, inFeatures);
                dx.Clear();
                VectorMath.OuterAndTransposedAdd(w, dy, x, gw, dx);
            }
        }
    }

    /// <summary>
    /// A residual over rows of <paramref name="features"/>: <c>y = x + inputs[..., :features]</c>, each row of
    /// <paramref name="x"/> plus the first features of the matching row of <paramref name="inputs"/> (rows of
    /// <paramref name="inputSize"/>, the network's input). <paramref name="y"/> may be <paramref name="x"/>. Its backward is
    /// the identity: dLoss/dx is dLoss/dy.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void AddInput(int features, int inputSize, ReadOnlySpan<float> x, ReadOnlySpan<float> inputs, Span<float> y)
    {
        int rows = x.Length / features;
        for (int t = 0; t < rows; t++)
        {
            ReadOnlySpan<float> row = inputs.Slice(t * inputSize, features);
            int start = t * features;
            for (int i = 0; i < features; i++)
            {
                y[start + i] = x[start + i] + row[i];
            }
        }
    }

    /// <summary><c>nn.ReLU</c>: <c>max(x, 0)</c>, NaN kept.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = ReluOperator.Invoke(x[i]);
        }
    }

    /// <summary>ReLU's backward: dy where x &gt; 0, else 0 (PyTorch's threshold_backward).</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] = x[i] > 0f ? dy[i] : 0f;
        }
    }

    /// <summary><c>nn.LeakyReLU(negative_slope)</c>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void LeakyRelu(float negativeSlope, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = v > 0f ? v : v * negativeSlope;
        }
    }

    /// <summary>LeakyReLU's backward: dy where x &gt; 0, else dy·slope.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void LeakyReluBackward(float negativeSlope, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] = x[i] > 0f ? dy[i] : dy[i] * negativeSlope;
        }
    }

    /// <summary><c>nn.ELU(alpha)</c>: x for x &gt; 0, else α(eˣ − 1) (computed in double, as accurate as PyTorch's expm1).</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Elu(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = v > 0f ? v : (float)(alpha * (Math.Exp(v) - 1.0));
        }
    }

    /// <summary>ELU's backward: dy for x &gt; 0, else dy·α·eˣ.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void EluBackward(float alpha, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            dx[i] = v > 0f ? dy[i] : (float)(dy[i] * alpha * Math.Exp(v));
        }
    }

    /// <summary><c>nn.GELU()</c>, the exact form: <c>x·Φ(x) = x/2·(1 + erf(x/√2))</c>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1.0 + Erf(v * InverseSqrt2)));
        }
    }

    /// <summary>GELU's backward: <c>dy·(Φ(x) + x·φ(x))</c>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double cdf = 0.5 * (1.0 + Erf(v * InverseSqrt2));
            double pdf = Math.Exp(-0.5 * v * v) * InverseSqrt2Pi;
            dx[i] = (float)(dy[i] * (cdf + v * pdf));
        }
    }

    /// <summary><c>nn.Tanh</c>, with the same tanh the cells use.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = TanhOperator.Invoke(x[i]);
        }
    }

    /// <summary>Tanh's backward from its output: <c>dy·(1 − y²)</c>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < y.Length; i++)
        {
            dx[i] = dy[i] * (1f - y[i] * y[i]);
        }
    }

    /// <summary><c>nn.Sigmoid</c>, with the same σ the cells use.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = SigmoidOperator.Invoke(x[i]);
        }
    }

    /// <summary>Sigmoid's backward from its output: <c>dy·y·(1 − y)</c>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < y.Length; i++)
        {
            dx[i] = dy[i] * y[i] * (1f - y[i]);
        }
    }

    /// <summary><c>nn.Softmax(dim=-1)</c> over each row of <paramref name="width"/> features, shifted by the row's maximum.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Softmax(int width, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int start = 0; start < x.Length; start += width)
        {
            ReadOnlySpan<float> row = x.Slice(start, width);
            Span<float> output = y.Slice(start, width);
            float max = float.NegativeInfinity;
            for (int i = 0; i < width; i++)
            {
                max = MathF.Max(max, row[i]);
            }

            double sum = 0;
            for (int i = 0; i < width; i++)
            {
                sum += Math.Exp(row[i] - max);
            }

            for (int i = 0; i < width; i++)
            {
                output[i] = (float)(Math.Exp(row[i] - max) / sum);
            }
        }
    }

    /// <summary>Softmax's backward from its output, row by row: <c>dx = y·(dy − Σ dy·y)</c>.</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void SoftmaxBackward(int width, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int start = 0; start < y.Length; start += width)
        {
            double dot = 0;
            for (int i = 0; i < width; i++)
            {
                dot += (double)dy[start + i] * y[start + i];
            }

            for (int i = 0; i < width; i++)
            {
                dx[start + i] = (float)(y[start + i] * (dy[start + i] - dot));
            }
        }
    }

    private const double InverseSqrt2 = 0.70710678118654752440;
    private const double InverseSqrt2Pi = 0.39894228040143267794;

    /// <summary>
    /// The error function in double, relative error below 1.2e-7 everywhere (Numerical Recipes' erfc by a Chebyshev fit
    /// of <c>erfc(z)·exp(z²)</c>): far below float32's resolution at GELU's output, which is all it serves.
    /// </summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    internal static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double erfc = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1.0 - erfc : erfc - 1.0;
    }
}
