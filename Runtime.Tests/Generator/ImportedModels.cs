using Fixed;

namespace Fixed.Tests;

/// <summary>RTNeural's Keras-exported test models, imported at compile time from this project's AdditionalFiles.</summary>
[ModelFile("rtneural/gru_1d.json")]
public partial class KerasGru1d;

/// <summary>Keras LSTM(8) then Dense(1), from RTNeural's tests.</summary>
[ModelFile("rtneural/lstm_1d.json")]
public partial class KerasLstm1d;

/// <summary>A Keras MLP (Dense layers with tanh, relu, elu and softmax between them, three without bias), from RTNeural's tests.</summary>
[ModelFile("rtneural/dense.json", Window = 16)]
public partial class KerasDense;

/// <summary>A PyTorch state_dict as JSON: GRU(1, 8), GRU(8, 8, num_layers=2), RNN(8, 4), Linear(4, 1), in key order.</summary>
[ModelFile("statedict/stack.json")]
public partial class TorchStateDictStack;

/// <summary>The guitar-amp trainers' file (model_data + state_dict): LSTM(1, 6) then Linear(6, 1), skip 0.</summary>
[ModelFile("statedict/amp.json")]
public partial class GuitarAmpLstm;

/// <summary>The trainers' SimpleRNN with skip = 1: GRU(1, 8), Linear(8, 1), the input added to the output.</summary>
[ModelFile("skip/gru_skip.json")]
public partial class GuitarAmpGruSkip;

/// <summary>The trainers' SimpleRNN with skip = 1 on a conditioned input: LSTM(2, 6), Linear(6, 1), the first input added.</summary>
[ModelFile("skip/lstm_skip.json")]
public partial class GuitarAmpLstmSkip;

/// <summary>RTNeural's gru_1d.json with AIDA-X's "in_skip": 1.</summary>
[ModelFile("skip/gru_1d_in_skip.json")]
public partial class KerasGru1dInSkip;
/// <summary>Neural Amp Modeler's example LSTM ("Darkglass Microtubes 900 v2", 1 layer, hidden 3, 48 kHz), from NeuralAmpModelerCore.</summary>
[ModelFile("nam/lstm.nam")]
public partial class NamExampleLstm;

/// <summary>A synthetic .nam file: LSTM(1, 5, num_layers=2) with its initial states, Linear(5, 1), 44.1 kHz.</summary>
[ModelFile("nam/two_layer.nam")]
public partial class NamTwoLayerLstm;

/// <summary>ONNX from torch.onnx.export (scripts/make_onnx_fixtures.py): GRU(1, 8) then Linear(8, 1), time-first.</summary>
[ModelFile("onnx/gru.onnx")]
public partial class OnnxGru;

/// <summary>ONNX: LSTM(3, 6, num_layers=2, batch_first=True), Linear(6, 4), Softmax (two LSTM nodes, Transposes around them).</summary>
[ModelFile("onnx/lstm.onnx")]
public partial class OnnxLstm;

/// <summary>ONNX with float_data initializers: RNN(2, 5, bias=False), Linear(5, 3), Tanh, Linear(3, 1, bias=False), Sigmoid.</summary>
[ModelFile("onnx/rnn.onnx")]
public partial class OnnxRnn;

/// <summary>ONNX: Linear(3, 8), ReLU, Linear(8, 2) on a 2-D input (Gemm nodes), no recurrent layer.</summary>
[ModelFile("onnx/mlp.onnx", Window = 16)]
public partial class OnnxMlp;

/// <summary>A state_dict saved as safetensors sorted by name, as safetensors' save_file writes it: GRU(2, 8) "rnn", Linear(8, 3) "fc".</summary>
[ModelFile("safetensors/gru_fc.safetensors")]
public partial class SafeTensorsGruFc;

/// <summary>A state_dict saved as safetensors in its own order: LSTM(1, 6, num_layers=2) "lstm", Linear(6, 1) "head".</summary>
[ModelFile("safetensors/lstm2.safetensors")]
public partial class SafeTensorsLstm2;

/// <summary>The GRU(2, 8) + Linear(8, 3) of another seed saved as BF16 (converted to float32 at compile time).</summary>
[ModelFile("safetensors/gru_fc_bf16.safetensors")]
public partial class SafeTensorsGruFcBf16;

/// <summary>
/// RNN(2, 5) then nn.Sequential(Linear(5, 4), Tanh(), Linear(4, 1)) declared by hand: its state_dict (safetensors/rnn_head)
/// does not record the Tanh, so [ModelFile] refuses it and this class Loads it.
/// </summary>
[Recurrent(2, 5, Name = "rnn")]
[Linear(5, 4, Name = "head.0")]
[Tanh]
[Linear(4, 1, Name = "head.2")]
public partial class SafeTensorsRnnHead;
