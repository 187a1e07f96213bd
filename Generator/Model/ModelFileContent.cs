namespace Fixed.Generator.Model;

/// <summary>
/// An AdditionalFiles item that some model's <c>[ModelFile]</c> names, read and converted once, however many models use
/// it: either <see cref="Error"/> says why it cannot be used (<see cref="Unsupported"/> when the file is valid but holds
/// what Fixed does not have), or <see cref="Layers"/> are its layers (each with the default Window) and
/// <see cref="Weights"/> its floats, little-endian, in the Parameters order of a stack of those layers, and
/// <see cref="SampleRate"/> the samples per second the file gives (a .nam file), or 0.
/// </summary>
internal sealed record ModelFileContent(
    string MatchPath, EquatableArray<LayerSpec> Layers, EquatableArray<byte> Weights, string? Error, bool Unsupported, int SampleRate = 0)
{
    public static ModelFileContent Invalid(string matchPath, string error, bool unsupported = false) =>
        new(matchPath, EquatableArray<LayerSpec>.Empty, EquatableArray<byte>.Empty, error, unsupported);
}
