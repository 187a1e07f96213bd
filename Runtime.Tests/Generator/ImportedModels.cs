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
