using Fixed;

/// <summary>
/// The model, read from a Neural Amp Modeler file at compile time (layers, sizes, weights, the initial state and the
/// sample rate: nothing is read at run time). The file shipped here is NeuralAmpModelerCore's example LSTM, a capture of a
/// Darkglass Microtubes 900 v2 bass preamp (clean; 1 layer of 3 units, 48 kHz; MIT licence, see models/LICENSE and
/// models/SOURCE). Any NAM LSTM capture drops in: point the attribute and the project's AdditionalFiles at it and
/// rebuild, or keep the class and call <c>Load(path)</c> with a file of the same architecture and sample rate.
/// The generated part adds <c>SampleRate</c> (from the file) and <c>InitialState()</c> (the file's h and c).
/// </summary>
[ModelFile("models/lstm.nam")]
internal sealed partial class AmpModel
{
    /// <summary>For the report: what the file holds.</summary>
    public const string Description = "NAM models/lstm.nam (Darkglass Microtubes 900 v2): LSTM(1 -> 3) from its learned initial state -> Linear(3, 1)";
}
