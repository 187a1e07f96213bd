// Compiled into the runtime (namespace Fixed, public API) and, linked, into the source generator (namespace
// Fixed.Generator.Shared), so that the generator reads the attribute's value with the runtime's own definition.
// Keep it netstandard2.0-compatible C#: see Runtime/Shared/README.md.
#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// How the recurrent layers' weight matrices (<c>weight_ih</c>, <c>weight_hh</c>) are stored for computing: the
/// attribute's <c>WeightPrecision</c>. <c>Parameters</c> is fp32 whatever this says, and stays the source of truth.
/// </summary>
public enum WeightPrecision
{
    /// <summary>fp32, as PyTorch: results exact to PyTorch's (the default).</summary>
    Single,

    /// <summary>
    /// bfloat16 (8 significant bits, fp32's range): the weight matrices are rounded to the nearest bfloat16 (ties to even,
    /// as PyTorch's <c>tensor.to(torch.bfloat16)</c>) and kept at half the bytes, widened back to fp32 in registers; every
    /// product and sum stays fp32, biases and the head stay fp32. The model computes exactly what PyTorch computes with
    /// its weight matrices rounded that way; its outputs differ from the fp32 model's by the amounts docs/precision.md
    /// measures. Meant for weights that no longer fit the L1 cache (hidden 64 and up).
    /// </summary>
    BFloat16,
}
