using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fixed.Tests.Support;
using Xunit;

namespace Fixed.Tests.Import;

/// <summary>
/// Neural Amp Modeler <c>.nam</c> LSTM files imported by <c>[ModelFile]</c>: NeuralAmpModelerCore's example model
/// (<see cref="NamExampleLstm"/>) and a synthetic two-layer one (<see cref="NamTwoLayerLstm"/>) reproduce what
/// torch.nn.LSTM + nn.Linear compute from the same file (scripts/make_nam_fixtures.py) from the file's initial state; the
/// conversion of the flat weight list is checked against the file read here with System.Text.Json; <c>Load</c> reads the
/// same files at run time and refuses every other architecture, version or sample rate without changing anything.
/// </summary>
public sealed class NamImportTests
{
    // PyTorch computed in float32 with its own summation order and activations; ours differ by a few ulps per operation.
    // The outputs are of order 0.1; the largest error measured over the 2,000 steps is given in docs/importing.md. The
    // contract's 1e-5 is the bound.
    private const double Tolerance = 1e-5;

    private static string PathOf(string name) => Path.Combine(Fixture.Root, "nam", name);

    private static float[] Csv(string name) => ReferenceOutputs.Csv(PathOf(name));

    private static void AssertMatchesPyTorch(float[] expected, float[] actual, string what) =>
        ReferenceOutputs.AssertWithin(expected, actual, Tolerance, "PyTorch", what + ": ");

    /// <summary>The test signal through <paramref name="model"/> from <paramref name="initialState"/> (its State's floats).</summary>
    private static float[] Forward<TModel>(TModel model, ReadOnlySpan<float> initialState)
        where TModel : IRecurrentModel<TModel>
    {
        float[] state = initialState.ToArray(), x = Csv("signal.csv"), y = new float[x.Length];
        model.Forward(state, x, y);
        return y;
    }

    [Fact]
    public void ExampleModel_FromItsInitialState_ReproducesPyTorch()
    {
        var model = new NamExampleLstm();
        NamExampleLstm.State start = model.InitialState();
        AssertMatchesPyTorch(Csv("lstm_y.csv"), Forward(model, start.Values), "lstm.nam");
    }

    [Fact]
    public void TwoLayerModel_FromItsInitialState_ReproducesPyTorch()
    {
        var model = new NamTwoLayerLstm();
        NamTwoLayerLstm.State start = model.InitialState();
        AssertMatchesPyTorch(Csv("two_layer_y.csv"), Forward(model, start.Values), "two_layer.nam");
    }

    [Fact]
    public void ExampleModel_StepByStepAndAsStreams_ReproducesPyTorch()
    {
        var model = new NamExampleLstm();
        float[] x = Csv("signal.csv");
        var stepped = new float[x.Length];
        NamExampleLstm.State state = model.InitialState();
        for (int t = 0; t < x.Length; t++)
        {
            model.Step(ref state, x.AsSpan(t, 1), stepped.AsSpan(t, 1));
        }

        // Three streams from the initial state, the signal in each: [T, N, 1].
        const int Streams = 3;
        var states = new NamExampleLstm.State[Streams];
        Array.Fill(states, model.InitialState());
        float[] interleaved = x.SelectMany(v => Enumerable.Repeat(v, Streams)).ToArray();
        var outputs = new float[interleaved.Length];
        model.Forward(states, interleaved, outputs);

        AssertMatchesPyTorch(Csv("lstm_y.csv"), stepped, "Step");
        for (int n = 0; n < Streams; n++)
        {
            AssertMatchesPyTorch(Csv("lstm_y.csv"), outputs.Where((_, i) => i % Streams == n).ToArray(), "stream " + n);
        }
    }

    [Fact]
    public void ImportedClass_IsTheStackAHandWrittenClassWouldDeclare()
    {
        Assert.Equal((1, 3, 1, 1, 48000), (NamExampleLstm.InputSize, NamExampleLstm.HiddenSize, NamExampleLstm.NumLayers, NamExampleLstm.OutputSize, NamExampleLstm.SampleRate));
        Assert.Equal((1, 5, 2, 1, 44100), (NamTwoLayerLstm.InputSize, NamTwoLayerLstm.HiddenSize, NamTwoLayerLstm.NumLayers, NamTwoLayerLstm.OutputSize, NamTwoLayerLstm.SampleRate));
        string[] expected =
        [
            "lstm.weight_ih_l0 [20, 1]", "lstm.weight_hh_l0 [20, 5]", "lstm.bias_ih_l0 [20]", "lstm.bias_hh_l0 [20]",
            "lstm.weight_ih_l1 [20, 5]", "lstm.weight_hh_l1 [20, 5]", "lstm.bias_ih_l1 [20]", "lstm.bias_hh_l1 [20]",
            "head.weight [1, 5]", "head.bias [1]", "lstm.h0 [2, 5]", "lstm.c0 [2, 5]",
        ];
        Assert.Equal(expected, NamTwoLayerLstm.Layout.ToArray().Select(p => p.Name + " [" + string.Join(", ", p.Shape) + "]"));
    }

    /// <summary>The file read with System.Text.Json, split by NAM's layout: what each named tensor must hold.</summary>
    private static Dictionary<string, float[]> TensorsFromFile(string name)
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(PathOf(name)))!;
        int input = (int)root["config"]!["input_size"]!, hidden = (int)root["config"]!["hidden_size"]!, layers = (int)root["config"]!["num_layers"]!;
        float[] w = root["weights"]!.AsArray().Select(v => (float)(double)v!).ToArray();
        var tensors = new Dictionary<string, float[]>();
        var h0 = new List<float>();
        var c0 = new List<float>();
        int at = 0;
        for (int k = 0; k < layers; k++)
        {
            int width = (k == 0 ? input : hidden) + hidden, inputs = width - hidden;
            float[][] rows = Enumerable.Range(0, 4 * hidden).Select(r => w.Skip(at + (r * width)).Take(width).ToArray()).ToArray();
            at += 4 * hidden * width;
            tensors["lstm.weight_ih_l" + k] = rows.SelectMany(r => r.Take(inputs)).ToArray();
            tensors["lstm.weight_hh_l" + k] = rows.SelectMany(r => r.Skip(inputs)).ToArray();
            tensors["lstm.bias_ih_l" + k] = w[at..(at += 4 * hidden)];
            tensors["lstm.bias_hh_l" + k] = new float[4 * hidden];
            h0.AddRange(w[at..(at += hidden)]);
            c0.AddRange(w[at..(at += hidden)]);
        }

        tensors["head.weight"] = w[at..(at += hidden)];
        tensors["head.bias"] = w[at..(at += 1)];
        Assert.Equal(w.Length, at);
        tensors["lstm.h0"] = [.. h0];
        tensors["lstm.c0"] = [.. c0];
        return tensors;
    }

    [Fact]
    public void Parameters_HoldTheFilesWeightsInPyTorchLayout_BiasHhZero_InitialStateAfterTheWeights()
    {
        AssertHoldsFile(new NamExampleLstm(), "lstm.nam");
        AssertHoldsFile(new NamTwoLayerLstm(), "two_layer.nam");
    }

    private static void AssertHoldsFile<TModel>(TModel model, string file)
        where TModel : IRecurrentModel<TModel>
    {
        Dictionary<string, float[]> tensors = TensorsFromFile(file);
        Assert.Equal(tensors.Keys.Order(), TModel.Layout.ToArray().Select(p => p.Name).Order());
        foreach (ParameterInfo p in TModel.Layout)
        {
            Assert.Equal(tensors[p.Name], model.ParameterValues.Slice(p.Offset, tensors[p.Name].Length).ToArray());
        }

        Assert.Equal(TModel.ParameterCount, tensors.Values.Sum(t => t.Length));
    }

    [Fact]
    public void InitialState_IsTheFilesHiddenAndCellState()
    {
        Dictionary<string, float[]> tensors = TensorsFromFile("two_layer.nam");
        NamTwoLayerLstm.State state = new NamTwoLayerLstm().InitialState();
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(tensors["lstm.h0"][(k * 5)..((k + 1) * 5)], state.Hidden(k).ToArray());
            Assert.Equal(tensors["lstm.c0"][(k * 5)..((k + 1) * 5)], state.Cell(k).ToArray());
        }
    }

    [Fact]
    public void Step_FromTheInitialState_AllocatesNothing()
    {
        var model = new NamExampleLstm();
        NamExampleLstm.State state = model.InitialState();
        float[] input = [0.25f], output = new float[1];
        SteadyAllocation.AssertNone("NAM model Step", 10_000, () => model.Step(ref state, input, output));
    }

    [Fact]
    public void Load_SameFileAtRunTime_GivesTheCompiledInWeights()
    {
        var model = new NamTwoLayerLstm(3);
        Assert.NotEqual(new NamTwoLayerLstm().Parameters.ToArray(), model.Parameters.ToArray());

        model.Load(PathOf("two_layer.nam"));

        Assert.Equal(new NamTwoLayerLstm().Parameters.ToArray(), model.Parameters.ToArray());
    }

    private static void AssertLoadRefused(string text, params string[] fragments)
    {
        var model = new NamTwoLayerLstm(5);
        float[] before = model.Parameters.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => model.Load(new MemoryStream(Encoding.UTF8.GetBytes(text))));

        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, model.Parameters.ToArray());
    }

    private static string Edited(string file, Action<JsonObject> edit)
    {
        JsonObject root = JsonNode.Parse(File.ReadAllText(PathOf(file)))!.AsObject();
        edit(root);
        return root.ToJsonString();
    }

    [Fact]
    public void Load_AnotherArchitecture_ThrowsNamingTheDifference_AndChangesNothing() =>
        AssertLoadRefused(File.ReadAllText(PathOf("lstm.nam")), "another architecture", "lstm: LSTM(1, 3, learned initial state)", "lstm: LSTM(1, 5, num_layers=2, learned initial state)");

    [Fact]
    public void Load_AnotherSampleRate_ThrowsNamingBoth_AndChangesNothing() =>
        AssertLoadRefused(Edited("two_layer.nam", root => root["sample_rate"] = 48000), "another sample rate", "sample rate 48000 Hz", "sample rate 44100 Hz");

    [Fact]
    public void Load_NoSampleRate_Means48kHz() =>
        AssertLoadRefused(Edited("two_layer.nam", root => root.Remove("sample_rate")), "the file has sample rate 48000 Hz, where the class has sample rate 44100 Hz");

    [Fact]
    public void Load_AnRtNeuralFileIntoANamClass_ThrowsInvalidData() =>
        AssertLoadRefused(File.ReadAllText(Path.Combine(Fixture.Root, "rtneural", "lstm_1d.json")), "another architecture");

    [Theory]
    [InlineData("WaveNet")]
    [InlineData("ConvNet")]
    [InlineData("Linear")]
    [InlineData("CatLSTM")]
    public void OtherArchitecture_IsUnsupported_NamingIt(string architecture)
    {
        string text = Edited("lstm.nam", root => root["architecture"] = architecture);

        var error = Assert.Throws<UnsupportedModelException>(() => ModelFileFormats.Import(text));

        Assert.Contains("'" + architecture + "'", error.Message, StringComparison.Ordinal);
        AssertLoadRefused(text, "'" + architecture + "'");
    }

    public static TheoryData<string, string, bool> InvalidEdits() => new()
    {
        { "{\"version\": \"0.4.9\"}", "versions 0.5.0 to 0.7.x", true },
        { "{\"version\": \"0.8.0\"}", "versions 0.5.0 to 0.7.x", true },
        { "{\"version\": \"1.0.0\"}", "versions 0.5.0 to 0.7.x", true },
        { "{\"version\": \"0.5\"}", "\"major.minor.patch\"", false },
        { "{\"version\": \"0.5.x\"}", "\"major.minor.patch\"", false },
        { "{\"version\": 5}", "\"version\" is the number 5", false },
        { "{\"config\": {\"input_size\": 1, \"hidden_size\": 3, \"num_layers\": 1, \"bidirectional\": true}}", "'bidirectional'", true },
        { "{\"config\": {\"input_size\": 1, \"hidden_size\": 3, \"num_layers\": 1, \"in_channels\": 2}}", "in_channels", true },
        { "{\"config\": {\"input_size\": 1, \"hidden_size\": 3}}", "\"config\" has no \"num_layers\"", false },
        { "{\"config\": {\"input_size\": 1, \"hidden_size\": 0, \"num_layers\": 1}}", "\"config\".\"hidden_size\" is the number 0", false },
        { "{\"config\": {\"input_size\": 1, \"hidden_size\": 4, \"num_layers\": 1}}", "\"weights\" has 70 values, but an LSTM of input_size 1, hidden_size 4 and num_layers 1 has 109", false },
        { "{\"config\": {\"input_size\": 1, \"hidden_size\": 65536, \"num_layers\": 1024}}", "\"weights\" has 70 values", false },
        { "{\"config\": \"LSTM\"}", "\"config\" is the string 'LSTM'", false },
        { "{\"weights\": [1, 2]}", "\"weights\" has 2 values", false },
        { "{\"weights\": {}}", "\"weights\" is an object, but must be an array", false },
        { "{\"sample_rate\": 44100.5}", "whole number", true },
        { "{\"sample_rate\": 0}", "\"sample_rate\" is the number 0", false },
        { "{\"sample_rate\": \"48k\"}", "\"sample_rate\" is the string '48k'", false },
        { "{\"architecture\": 1}", "\"architecture\" is the number 1", false },
    };

    [Theory]
    [MemberData(nameof(InvalidEdits))]
    public void InvalidFile_IsRefusedNamingTheProblem(string replacement, string fragment, bool unsupported)
    {
        string text = Edited("lstm.nam", root =>
        {
            foreach (KeyValuePair<string, JsonNode?> member in JsonNode.Parse(replacement)!.AsObject().ToList())
            {
                root[member.Key] = member.Value?.DeepClone();
            }
        });

        Exception error = Assert.ThrowsAny<Exception>(() => ModelFileFormats.Import(text));

        Assert.Equal(unsupported ? typeof(UnsupportedModelException) : typeof(InvalidDataException), error.GetType());
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WeightNotANumber_IsRefusedNamingItsIndex()
    {
        string text = Edited("lstm.nam", root => root["weights"]![17] = "x");

        var error = Assert.Throws<InvalidDataException>(() => ModelFileFormats.Import(text));

        Assert.Contains("\"weights\"[17]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutChannels_BecomeTheHeadsOutputs()
    {
        // out_channels 2: the head is [2, H] and [2], two more weights than the file has for one output, plus one bias.
        string text = Edited("lstm.nam", root =>
        {
            root["config"]!["out_channels"] = 2;
            JsonArray weights = root["weights"]!.AsArray();
            weights.Insert(weights.Count - 1, 0.5);
            weights.Insert(weights.Count - 1, -0.25);
            weights.Insert(weights.Count - 1, 0.125);
            weights.Add(0.75);
        });

        ImportedModel model = ModelFileFormats.Import(text);

        Assert.Equal("lstm: LSTM(1, 3, learned initial state); head: Linear(3, 2); sample rate 48000 Hz", model.Describe());
    }

    [Fact]
    public void NoSampleRate_Means48kHz_AsNamsFileSpecificationSays()
    {
        string text = Edited("two_layer.nam", root => root.Remove("sample_rate"));

        Assert.Equal(48000, ModelFileFormats.Import(text).SampleRate);
        Assert.Equal(44100, ModelFileFormats.Import(File.ReadAllText(PathOf("two_layer.nam"))).SampleRate);
    }
}
