using System.Runtime.CompilerServices;
using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Fixed;

/// <summary>
/// Span-length checks with messages that name the parameter, the expected length, the shape it implies and
/// the length received. There is no broadcasting anywhere in Fixed: a length that does not match is an error.
/// </summary>
internal static class Guard
{
    // The shape text is a composite format filled in only when a check fails: the checks run on every call of
    // the hot paths, which must not allocate, not even once.

    public static void Length(ReadOnlySpan<float> span, int expected, string parameterName, string shapeFormat, int size)
    {
        if (span.Length != expected)
        {
            ThrowLength(parameterName, expected, shapeFormat, size, span.Length);
        }
    }

    /// <summary>
    /// <see cref="ThrowLength(string, int, string, int)"/> with the shape text formatted here, out of line: the checks are
    /// inlined into the hot paths, and formatting at the call site cost the straight-line Step its JIT inlining budget.
    /// </summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowLength(string parameterName, int expected, string shapeFormat, int size, int actual) =>
        ThrowLength(parameterName, expected, string.Format(CultureInfo.InvariantCulture, shapeFormat, size), actual);

    /// <summary>Checks that <paramref name="span"/> holds a positive whole number of rows and returns that number (T).</summary>
    [MethodImpl(CompiledAtOnce.Optimized)]
    public static int Rows(ReadOnlySpan<float> span, int rowLength, string parameterName, string shapeFormat)
    {
        if (span.Length == 0 || span.Length % rowLength != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{parameterName}: expected a positive multiple of {rowLength} floats (shape {string.Format(CultureInfo.InvariantCulture, shapeFormat, rowLength)}), got {span.Length}."),
                parameterName);
        }

        return span.Length / rowLength;
    }

    public static void SameLength(int steps, ReadOnlySpan<float> outputs, int outputSize, string parameterName)
    {
        if (outputs.Length != steps * outputSize)
        {
            ThrowLength(parameterName, steps * outputSize, string.Create(CultureInfo.InvariantCulture, $"[T={steps}, OutputSize={outputSize}]"), outputs.Length);
        }
    }

    [DoesNotReturn]
    public static void ThrowLength(string parameterName, int expected, string shape, int actual) =>
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{parameterName}: expected {expected} floats (shape {shape}), got {actual}."),
            parameterName);

    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void Window(int steps, int window, string parameterName)
    {
        if (steps > window)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{parameterName}: the sequence has {steps} steps but the model's Window is {window}. Raise Window in the [Recurrent] attribute, or split the sequence into chunks of at most {window} steps and call Backward on each, carrying the State from one chunk to the next: that is truncated BPTT, in which no gradient flows across a chunk boundary."),
                parameterName);
        }
    }

    [MethodImpl(CompiledAtOnce.Optimized)]
    public static void WarmUp(int warmUp, int steps)
    {
        if (warmUp < 0 || warmUp >= steps)
        {
            throw new ArgumentOutOfRangeException(
                nameof(warmUp),
                warmUp,
                string.Create(CultureInfo.InvariantCulture, $"warmUp must be in [0, T - 1] = [0, {steps - 1}] so that at least one step carries the loss; the sequence has T = {steps} steps."));
        }
    }
}
