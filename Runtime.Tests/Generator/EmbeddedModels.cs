using Fixed;

namespace Fixed.Tests;

/// <summary>
/// The seed's model with a PyTorch fixture compiled in: the file is an AdditionalFiles item of this project, encoded by
/// Generator/build/Fixed.targets as the package's build targets do for a user.
/// </summary>
[Recurrent(1, 32, OutputSize = 1, Weights = "forward/rnn_i1_h32_l1_o1_t50_h0.weights.safetensors")]
public partial class EmbeddedRnnRegression;
