// Compiled into the runtime (namespace Fixed, public API) and, linked, into the source generator (namespace
// Fixed.Generator.Shared), so that the generator reads the attribute's enum values with the runtime's own definition.
// Keep it netstandard2.0-compatible C#: see Runtime/Shared/README.md.
#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>The recurrent cell: PyTorch's <c>nn.RNN</c>, <c>nn.GRU</c> or <c>nn.LSTM</c>.</summary>
public enum Cell
{
    /// <summary>Elman RNN: <c>h' = act(W_ih x + b_ih + W_hh h + b_hh)</c>.</summary>
    Rnn,

    /// <summary>Gated recurrent unit, gate order r, z, n, reset applied to <c>W_hn h + b_hn</c>.</summary>
    Gru,

    /// <summary>Long short-term memory, gate order i, f, g, o.</summary>
    Lstm,
}

/// <summary>The activation of a <see cref="Cell.Rnn"/> cell (PyTorch's <c>nonlinearity</c>).</summary>
public enum Nonlinearity
{
    /// <summary><c>tanh</c>, PyTorch's default.</summary>
    Tanh,

    /// <summary><c>relu</c>.</summary>
    Relu,
}
