using System.Runtime.Intrinsics;

namespace Fixed;

/// <summary>
/// An element-wise function at every vector width and in scalar form (the activations): the <see cref="ISimd{TSelf}"/>
/// types call the form of their width, so every instruction-set path computes the same formula.
/// </summary>
internal interface IUnaryOperator
{
    static abstract float Invoke(float x);

    static abstract Vector128<float> Invoke(Vector128<float> x);

    static abstract Vector256<float> Invoke(Vector256<float> x);

    static abstract Vector512<float> Invoke(Vector512<float> x);
}
