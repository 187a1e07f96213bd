using Fixed;

/// <summary>
/// The model, read from an RTNeural JSON file at compile time (layers, sizes and weights: nothing is read at run time).
/// The file shipped here is RTNeural's own Keras-exported test model (GRU(8) → Dense(8, sigmoid) → Dense(1), BSD-3-Clause,
/// see models/LICENSE and models/SOURCE): small, and not trained on an amplifier. An AIDA-X or GuitarML amp model
/// exported to the same format drops in: point the attribute and the project's AdditionalFiles at it and rebuild, or
/// keep the class and call <c>Load(path)</c> with a file of the same architecture.
/// </summary>
[ModelFile("models/gru_1d.json")]
internal sealed partial class AmpModel
{
    /// <summary>The sample rate the audio is processed at (an RTNeural JSON file does not say; amp models are mostly 48 kHz).</summary>
    public const int SampleRate = 48000;

    /// <summary>For the report: what the file holds.</summary>
    public const string Description = "RTNeural JSON models/gru_1d.json: GRU(1 -> 8) -> Dense(8, sigmoid) -> Dense(1)";
}
