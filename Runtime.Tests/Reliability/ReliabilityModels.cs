using Fixed;

namespace Fixed.Tests.Reliability;

/// <summary>The model the kill-mid-save test writes: one LSTM layer 16 → 256 and a head, 282,632 parameters (1.1 MB; 3.4 MB as an Adam checkpoint).</summary>
[Recurrent(16, 256, Cell = Cell.Lstm, OutputSize = 8, Window = 4)]
public partial class SaveTestLstm;

/// <summary>The small model of the concurrency test and of the soak: a GRU 2 → 16 with a 2-wide head.</summary>
[Recurrent(2, 16, Cell = Cell.Gru, OutputSize = 2, Window = 32)]
public partial class SoakGru;

/// <summary>The soak's model: the sensor example's GRU (nn.GRU(1, 32) + nn.Linear(32, 1), BPTT windows of 32 steps).</summary>
[Recurrent(1, 32, Cell = Cell.Gru, OutputSize = 1, Window = 32)]
public partial class SoakSensorGru;
