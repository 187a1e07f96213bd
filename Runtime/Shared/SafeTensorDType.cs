// Compiled into the runtime (namespace Fixed) and, linked, into the source generator (namespace Fixed.Generator.Shared),
// which validates the weights files it embeds by the runtime's rules. Keep it netstandard2.0-compatible C#: see
// Runtime/Shared/README.md.
#if FIXED_GENERATOR
namespace Fixed.Generator.Shared;
#else
namespace Fixed;
#endif

/// <summary>
/// The safetensors dtype names and their element sizes. Matching is case-sensitive, as in the reference
/// implementation (<c>huggingface/safetensors</c>). Sub-byte types (F4, F6) are not accepted: their
/// packing rules would make "bytes = elements × size" false, and no recurrent model stores weights in them.
/// </summary>
internal static class SafeTensorDType
{
    public const string F32 = "F32";
    public const string F16 = "F16";
    public const string BF16 = "BF16";
    public const string F64 = "F64";
    public const string I64 = "I64";
    public const string I32 = "I32";

    /// <summary>Every accepted name, for error messages.</summary>
    public const string KnownNames = "BOOL, U8, I8, F8_E4M3, F8_E5M2, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64";

    /// <summary>
    /// Looks up <paramref name="name"/>; on success returns the shared constant for it (so that entries do not
    /// each keep their own copy of the string) and its size in bytes.
    /// </summary>
    public static bool TryGetSize(string name, out string canonical, out int size)
    {
        (canonical, size) = name switch
        {
            "BOOL" => ("BOOL", 1),
            "U8" => ("U8", 1),
            "I8" => ("I8", 1),
            "F8_E4M3" => ("F8_E4M3", 1),
            "F8_E5M2" => ("F8_E5M2", 1),
            "I16" => ("I16", 2),
            "U16" => ("U16", 2),
            F16 => (F16, 2),
            BF16 => (BF16, 2),
            I32 => (I32, 4),
            "U32" => ("U32", 4),
            F32 => (F32, 4),
            I64 => (I64, 8),
            "U64" => ("U64", 8),
            F64 => (F64, 8),
            _ => (string.Empty, 0),
        };
        return size != 0;
    }
}
