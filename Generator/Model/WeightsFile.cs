namespace Fixed.Generator.Model;

/// <summary>
/// An AdditionalFiles item that some model's <c>Weights</c> names, read and validated as a safetensors file once,
/// however many models use it. Either <see cref="Error"/> says why it cannot be used, or the entries and the data
/// buffer are those of a valid file (every tensor in bounds, the buffer tiled exactly).
/// </summary>
/// <param name="MatchPath">The path that <c>Weights</c> is matched against: the item as listed in the project.</param>
internal sealed record WeightsFile(string MatchPath, EquatableArray<SafeTensorsEntry> Entries, EquatableArray<byte> Data, string? Error)
{
    public static WeightsFile Invalid(string matchPath, string error) =>
        new(matchPath, EquatableArray<SafeTensorsEntry>.Empty, EquatableArray<byte>.Empty, error);
}
