using System;
using System.Collections.Generic;

namespace Fixed;

/// <summary>A named float tensor for <see cref="SafeTensorWriter"/>: written as F32, row-major.</summary>
/// <param name="Name">The tensor's name in the file, for example <c>rnn.weight_ih_l0</c>.</param>
/// <param name="Shape">The tensor's shape; its product must equal the length of <paramref name="Data"/>.</param>
/// <param name="Data">The values, flat in row-major order.</param>
public readonly record struct FloatTensor(string Name, IReadOnlyList<int> Shape, ReadOnlyMemory<float> Data);
