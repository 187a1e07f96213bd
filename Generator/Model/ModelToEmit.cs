namespace Fixed.Generator.Model;

/// <summary>
/// What the emitter writes one file from: the network and, when the attribute names a <c>Weights</c> file, its
/// floats as little-endian bytes in <see cref="NetworkSpec"/> parameter order (state_dict order, whatever the
/// file's order). Value-equal, so that an edit that changes neither leaves the output cached.
/// </summary>
internal sealed record ModelToEmit(NetworkSpec Spec, EquatableArray<byte>? Weights);
