using Fixed;

namespace Fixed.Benchmarks.Models;

// Networks measured only by the memory command (besides five of the grid's): a two-layer GRU and a layer stack.

/// <summary>nn.GRU(1, 32, num_layers=2) + nn.Linear(32, 1), window 32.</summary>
[Recurrent(1, 32, Cell = Cell.Gru, NumLayers = 2, OutputSize = 1, Window = 32)]
public sealed partial class Gru2x1To32;

/// <summary>nn.Linear(1, 16), nn.Tanh(), nn.GRU(16, 32), nn.LSTM(32, 16), nn.Linear(16, 8), nn.GELU(), nn.Linear(8, 1), window 32.</summary>
[Linear(1, 16, Name = "pre")]
[Tanh]
[Recurrent(16, 32, Cell = Cell.Gru, Name = "enc", Window = 32)]
[Recurrent(32, 16, Cell = Cell.Lstm, Name = "dec", Window = 32)]
[Linear(16, 8, Name = "fc1")]
[Gelu]
[Linear(8, 1, Name = "fc2")]
public sealed partial class MemoryStack;
