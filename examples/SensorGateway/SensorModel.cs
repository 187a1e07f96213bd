using Fixed;

/// <summary>
/// Predicts each sensor's next reading from its readings so far: input the current reading, output the change to the
/// next one. One model serves every sensor; each sensor's history lives in its own <see cref="State"/>.
/// </summary>
[Recurrent(1, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
internal sealed partial class SensorModel;
