using Fixed;

// TEMPORARY stand-in until [ModelFile] lands: the architecture of RTNeural's gru_1d.json, seeded weights.
[Recurrent(1, 8, Cell = Cell.Gru, Name = "gru")]
[Linear(8, 8, Name = "dense")]
[Sigmoid]
[Linear(8, 1, Name = "dense_1")]
internal sealed partial class AmpModel
{
    public const int SampleRate = 48000;
    public const string Description = "stand-in";
}
