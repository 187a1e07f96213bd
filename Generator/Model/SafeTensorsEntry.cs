namespace Fixed.Generator.Model;

/// <summary>One tensor of a safetensors header, already validated; offsets are relative to the data buffer.</summary>
internal sealed record SafeTensorsEntry(string Name, string DType, EquatableArray<int> Shape, long Begin, long End);
