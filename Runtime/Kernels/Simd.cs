using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fixed;

/// <summary>
/// One SIMD register of floats, as a type parameter: lets a kernel be written once and instantiated for
/// <see cref="Vector512{T}"/>, <see cref="Vector256{T}"/>, <see cref="Vector128{T}"/> (NEON on ARM64) and a
/// plain float. Every implementation is a struct holding one vector, so the JIT keeps it in a register
/// and inlines each operation to one instruction.
/// </summary>
internal interface ISimd<TSelf>
    where TSelf : struct, ISimd<TSelf>
{
    /// <summary>Floats per register.</summary>
    static abstract int Count { get; }

    static abstract TSelf Load(ref float source, nuint offset);

    static abstract void Store(TSelf value, ref float destination, nuint offset);

    static abstract TSelf Broadcast(float value);

    /// <summary><c>a·b + c</c>, fused where the hardware has FMA.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    static abstract TSelf Add(TSelf a, TSelf b);

    static abstract TSelf Subtract(TSelf a, TSelf b);

    static abstract TSelf Multiply(TSelf a, TSelf b);

    /// <summary>The logistic function, as <see cref="SigmoidOperator"/> computes it at this width.</summary>
    static abstract TSelf Sigmoid(TSelf x);

    /// <summary>tanh, as <see cref="TanhOperator"/> computes it at this width.</summary>
    static abstract TSelf Tanh(TSelf x);

    /// <summary>max(x, 0), as <see cref="ReluOperator"/> computes it at this width.</summary>
    static abstract TSelf Relu(TSelf x);

    /// <summary><c>d</c> where <c>a &gt; 0</c>, else 0 (NaN counts as not positive): the gradient through ReLU.</summary>
    static abstract TSelf WherePositive(TSelf a, TSelf d);

    /// <summary><c>a / b</c>, correctly rounded.</summary>
    static abstract TSelf Divide(TSelf a, TSelf b);

    /// <summary>The square root, correctly rounded.</summary>
    static abstract TSelf Sqrt(TSelf x);

    /// <summary><c>a·b + c</c> rounded once, on every path (where <see cref="MultiplyAdd"/> may round twice).</summary>
    static abstract TSelf FusedMultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>
    /// <c>a &lt; b ? a : b</c> per lane: the x64 <c>minps</c>, which returns <paramref name="b"/> when either is NaN (and
    /// <see cref="Simd1"/> alike); on ARM64 the vector forms return NaN instead.
    /// </summary>
    static abstract TSelf MinNative(TSelf a, TSelf b);

    /// <summary>
    /// <c>Count</c> 32-bit slots of bfloat16 pairs from <paramref name="offset"/>, loaded as they are (their bits in a vector
    /// of floats): <see cref="BFloat16Low"/> and <see cref="BFloat16High"/> widen each half, so that a kernel loads once,
    /// holds the mask in a register, and widens both halves. See <c>Simd.BFloat16.cs</c>.
    /// </summary>
    static abstract TSelf LoadBFloat16Slots(ref uint source, nuint offset);

    /// <summary>The low bfloat16 halves of <paramref name="slots"/> widened to fp32 (exactly: shifted up 16 bits).</summary>
    static abstract TSelf BFloat16Low(TSelf slots);

    /// <summary>
    /// The high bfloat16 halves of <paramref name="slots"/> as fp32 (exactly: the low 16 bits cleared by
    /// <paramref name="highMask"/>, a vector of the bits <c>0xFFFF0000</c>, <see cref="BFloat16HighMask"/>).
    /// </summary>
    static abstract TSelf BFloat16High(TSelf slots, TSelf highMask);

    /// <summary>Every lane the bits <c>0xFFFF0000</c>: the mask <see cref="BFloat16High"/> takes, made once per kernel.</summary>
    static abstract TSelf BFloat16HighMask { get; }
}

/// <summary>
/// Work written once over <see cref="ISimd{TSelf}"/> and run at one vector width, chosen by
/// <see cref="PackedLayout{TShape}.Dispatch{TAction}"/>: a struct that carries its arguments, so that the width
/// ladder exists once. The calls are constrained calls on a struct type argument, which the JIT resolves and inlines.
/// On a hot path, hold references and lengths rather than spans (see <c>RecurrentEngine.CellStepAction</c>).
/// </summary>
internal interface ISimdAction
{
    /// <summary>Runs the work at the width of <typeparamref name="TVec"/>.</summary>
    void Run<TVec>()
        where TVec : struct, ISimd<TVec>;
}

internal readonly partial struct Simd512 : ISimd<Simd512>
{
    private readonly Vector512<float> _value;

    private Simd512(Vector512<float> value) => _value = value;

    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Load(ref float source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd512 value, ref float destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Broadcast(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 MultiplyAdd(Simd512 a, Simd512 b, Simd512 c) => new(Vector512.MultiplyAddEstimate(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Add(Simd512 a, Simd512 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Subtract(Simd512 a, Simd512 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Multiply(Simd512 a, Simd512 b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Sigmoid(Simd512 x) => new(SigmoidOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Tanh(Simd512 x) => new(TanhOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Relu(Simd512 x) => new(ReluOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Divide(Simd512 a, Simd512 b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Sqrt(Simd512 x) => new(Vector512.Sqrt(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 FusedMultiplyAdd(Simd512 a, Simd512 b, Simd512 c) => new(Vector512.FusedMultiplyAdd(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 MinNative(Simd512 a, Simd512 b) => new(Vector512.MinNative(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 WherePositive(Simd512 a, Simd512 d) =>
        new(Vector512.ConditionalSelect(Vector512.GreaterThan(a._value, Vector512<float>.Zero), d._value, Vector512<float>.Zero));
}

internal readonly partial struct Simd256 : ISimd<Simd256>
{
    private readonly Vector256<float> _value;

    private Simd256(Vector256<float> value) => _value = value;

    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Load(ref float source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd256 value, ref float destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Broadcast(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 MultiplyAdd(Simd256 a, Simd256 b, Simd256 c) => new(Vector256.MultiplyAddEstimate(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Add(Simd256 a, Simd256 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Subtract(Simd256 a, Simd256 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Multiply(Simd256 a, Simd256 b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Sigmoid(Simd256 x) => new(SigmoidOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Tanh(Simd256 x) => new(TanhOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Relu(Simd256 x) => new(ReluOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Divide(Simd256 a, Simd256 b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Sqrt(Simd256 x) => new(Vector256.Sqrt(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 FusedMultiplyAdd(Simd256 a, Simd256 b, Simd256 c) => new(Vector256.FusedMultiplyAdd(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 MinNative(Simd256 a, Simd256 b) => new(Vector256.MinNative(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 WherePositive(Simd256 a, Simd256 d) =>
        new(Vector256.ConditionalSelect(Vector256.GreaterThan(a._value, Vector256<float>.Zero), d._value, Vector256<float>.Zero));
}

internal readonly partial struct Simd128 : ISimd<Simd128>
{
    private readonly Vector128<float> _value;

    private Simd128(Vector128<float> value) => _value = value;

    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Load(ref float source, nuint offset) => new(Vector128.LoadUnsafe(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd128 value, ref float destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Broadcast(float value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 MultiplyAdd(Simd128 a, Simd128 b, Simd128 c) => new(Vector128.MultiplyAddEstimate(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Add(Simd128 a, Simd128 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Subtract(Simd128 a, Simd128 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Multiply(Simd128 a, Simd128 b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Sigmoid(Simd128 x) => new(SigmoidOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Tanh(Simd128 x) => new(TanhOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Relu(Simd128 x) => new(ReluOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Divide(Simd128 a, Simd128 b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Sqrt(Simd128 x) => new(Vector128.Sqrt(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 FusedMultiplyAdd(Simd128 a, Simd128 b, Simd128 c) => new(Vector128.FusedMultiplyAdd(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 MinNative(Simd128 a, Simd128 b) => new(Vector128.MinNative(a._value, b._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 WherePositive(Simd128 a, Simd128 d) =>
        new(Vector128.ConditionalSelect(Vector128.GreaterThan(a._value, Vector128<float>.Zero), d._value, Vector128<float>.Zero));
}

/// <summary>The scalar "register": the path taken when the JIT reports no vector acceleration.</summary>
internal readonly partial struct Simd1 : ISimd<Simd1>
{
    private readonly float _value;

    private Simd1(float value) => _value = value;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Load(ref float source, nuint offset) => new(Unsafe.Add(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd1 value, ref float destination, nuint offset) => Unsafe.Add(ref destination, offset) = value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Broadcast(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 MultiplyAdd(Simd1 a, Simd1 b, Simd1 c) => new(float.MultiplyAddEstimate(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Add(Simd1 a, Simd1 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Subtract(Simd1 a, Simd1 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Multiply(Simd1 a, Simd1 b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Sigmoid(Simd1 x) => new(SigmoidOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Tanh(Simd1 x) => new(TanhOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Relu(Simd1 x) => new(ReluOperator.Invoke(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Divide(Simd1 a, Simd1 b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 Sqrt(Simd1 x) => new(System.MathF.Sqrt(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 FusedMultiplyAdd(Simd1 a, Simd1 b, Simd1 c) => new(System.MathF.FusedMultiplyAdd(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 MinNative(Simd1 a, Simd1 b) => new(a._value < b._value ? a._value : b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1 WherePositive(Simd1 a, Simd1 d) => new(a._value > 0f ? d._value : 0f);
}
