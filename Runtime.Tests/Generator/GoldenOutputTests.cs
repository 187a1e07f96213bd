using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit;

namespace Fixed.Tests.Generator;

/// <summary>
/// The generated source of two representative declarations, compared byte for byte with files under <c>Golden/</c>,
/// so that every change to the emitted code is seen in review. Set <c>FIXED_UPDATE_GOLDEN=1</c> to rewrite them.
/// </summary>
public sealed class GoldenOutputTests
{
    private const string UpdateVariable = "FIXED_UPDATE_GOLDEN";

    /// <summary>The seed's model: nn.RNN(1, 32) + nn.Linear(32, 1), in a file-scoped namespace.</summary>
    internal const string RnnRegressionSource = """
        using Fixed;

        namespace Demo;

        /// <summary>The seed's sine-wave regressor.</summary>
        [Recurrent(inputSize: 1, hiddenSize: 32, OutputSize = 1)]
        public partial class RnnRegression;
        """;

    /// <summary>A two-layer LSTM nested in a partial class, in the global namespace.</summary>
    internal const string NestedLstmSource = """
        using Fixed;

        /// <summary>Holds the models.</summary>
        public partial class Sensors
        {
            /// <summary>An IMU gesture classifier.</summary>
            [Recurrent(3, 64, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 4, Window = 128)]
            public partial class ImuClassifier;
        }
        """;

    /// <summary>A layer stack: a Linear front-end, two recurrent layers of different cells, an MLP head.</summary>
    internal const string StackSource = """
        using Fixed;

        namespace Demo;

        /// <summary>A front-end, a GRU and an LSTM, and an MLP head.</summary>
        [Linear(2, 6, Name = "pre")]
        [Tanh]
        [Recurrent(6, 16, Cell = Cell.Gru, Name = "enc")]
        [Recurrent(16, 8, Cell = Cell.Lstm, Name = "dec", Window = 32)]
        [Linear(8, 12, Name = "fc1")]
        [LeakyRelu(NegativeSlope = 0.2f)]
        [Linear(12, 3, Name = "fc2", Bias = false)]
        [Softmax]
        public partial class Stack;
        """;

    /// <summary>The guitar-amp trainers' SimpleRNN with skip = 1: an LSTM, a Linear to one output, the input added to it.</summary>
    internal const string ResidualSource = """
        using Fixed;

        namespace Demo;

        /// <summary>An amp model: its output is the LSTM's correction added to the input sample.</summary>
        [Recurrent(1, 8, Cell = Cell.Lstm, Name = "rec")]
        [Linear(8, 1, Name = "lin")]
        [AddInput(1)]
        public partial class Amp;
        """;

    [Fact]
    public void Residual_MatchesGoldenFile() =>
        AssertMatchesGolden(ResidualSource, "Demo.Amp.g.cs");

    [Fact]
    public void LayerStack_MatchesGoldenFile() =>
        AssertMatchesGolden(StackSource, "Demo.Stack.g.cs");

    [Fact]
    public void RnnRegression_InNamespace_MatchesGoldenFile() =>
        AssertMatchesGolden(RnnRegressionSource, "Demo.RnnRegression.g.cs");

    [Fact]
    public void TwoLayerLstm_NestedWithoutNamespace_MatchesGoldenFile() =>
        AssertMatchesGolden(NestedLstmSource, "Sensors.ImuClassifier.g.cs");

    /// <summary>Compiled-in weights: the constant data, a comment per tensor, and the constructor that copies it.</summary>
    [Fact]
    public void EmbeddedWeights_MatchesGoldenFile() =>
        AssertMatchesGolden(
            """
            using Fixed;

            namespace Demo;

            /// <summary>A small RNN with its weights compiled in.</summary>
            [Recurrent(2, 3, OutputSize = 1, Weights = "model.safetensors")]
            public partial class EmbeddedRnn;
            """,
            "Demo.EmbeddedRnn.g.cs",
            TestAdditionalText.Encoded("/p/model.safetensors", WeightsFiles.ValidFile()));

    /// <summary>
    /// A layer stack with a bidirectional projected LSTM (SequenceEngine, on its slice of the parameters) and an ordinary GRU
    /// (the packed engine): whole sequences only, so Forward runs layer after layer and there is no Step or WarmUp.
    /// </summary>
    [Fact]
    public void BidirectionalStack_MatchesGoldenFile() =>
        AssertMatchesGolden(
            """
            using Fixed;

            namespace Demo;

            /// <summary>A front-end, a bidirectional projected LSTM, a GRU and a head.</summary>
            [Linear(2, 6, Name = "fc_in")]
            [Tanh]
            [Recurrent(6, 8, Cell = Cell.Lstm, NumLayers = 2, Bidirectional = true, ProjSize = 4, Name = "lstm", Window = 16)]
            [Recurrent(8, 5, Cell = Cell.Gru, Name = "gru")]
            [Linear(5, 1, Name = "fc_out")]
            public partial class BiStack;
            """,
            "Demo.BiStack.g.cs");

    /// <summary>A bidirectional two-layer LSTM with a projection and a head: the SequenceEngine path, no Step or WarmUp.</summary>
    [Fact]
    public void BidirectionalProjectedLstm_MatchesGoldenFile() =>
        AssertMatchesGolden(
            """
            using Fixed;

            namespace Demo;

            /// <summary>A sequence tagger.</summary>
            [Recurrent(3, 16, Cell = Cell.Lstm, NumLayers = 2, ProjSize = 8, Bidirectional = true, OutputSize = 5, Window = 32)]
            public partial class Tagger;
            """,
            "Demo.Tagger.g.cs");

    /// <summary>A learned initial state: h0 and c0 after the weights, InitialState(), the batched Backward starting from them.</summary>
    [Fact]
    public void LearnedInitialState_MatchesGoldenFile() =>
        AssertMatchesGolden(
            """
            using Fixed;

            namespace Demo;

            /// <summary>An LSTM that learns its initial state.</summary>
            [Recurrent(2, 8, Cell = Cell.Lstm, NumLayers = 2, OutputSize = 1, LearnInitialState = true)]
            public partial class LearnedLstm;
            """,
            "Demo.LearnedLstm.g.cs");

    /// <summary>
    /// A [ModelFile] class: NeuralAmpModelerCore's example .nam LSTM compiled in (weights and initial state), its
    /// architecture string for Load, the SampleRate constant.
    /// </summary>
    [Fact]
    public void NamModelFile_MatchesGoldenFile() =>
        AssertMatchesGolden(
            """
            using Fixed;

            namespace Demo;

            /// <summary>An amp captured by Neural Amp Modeler.</summary>
            [ModelFile("lstm.nam")]
            public partial class AmpCapture;
            """,
            "Demo.AmpCapture.g.cs",
            new TestAdditionalText("/p/models/lstm.nam", File.ReadAllText(Path.Combine(Fixture.Root, "nam", "lstm.nam"))));

    [Fact]
    public void SameDeclarations_GeneratedTwice_AreByteIdentical()
    {
        string source = RnnRegressionSource + "\n" + NestedLstmSource.Replace("using Fixed;", string.Empty, StringComparison.Ordinal);

        string[] first = GeneratorHarness.Run(source).GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText).ToArray();
        string[] second = GeneratorHarness.Run(source).GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText).ToArray();

        Assert.Equal(2, first.Length);
        Assert.Equal(first, second);
    }

    [Fact]
    public void GeneratedText_UnderACultureWithOtherSeparators_IsUnchanged()
    {
        // A culture that writes 1.234,5 and a Unicode minus: any culture-sensitive formatting in the emitter shows up.
        var odd = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        odd.NumberFormat.NumberDecimalSeparator = ",";
        odd.NumberFormat.NumberGroupSeparator = ".";
        odd.NumberFormat.NegativeSign = "\u2212";
        string invariant = GeneratorHarness.Run(NestedLstmSource).Source("Sensors.ImuClassifier.g.cs");

        CultureInfo saved = CultureInfo.CurrentCulture;
        string underOdd;
        try
        {
            CultureInfo.CurrentCulture = odd;
            underOdd = GeneratorHarness.Run(NestedLstmSource).Source("Sensors.ImuClassifier.g.cs");
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }

        Assert.Equal(invariant, underOdd);
    }

    private static void AssertMatchesGolden(string source, string hintName, TestAdditionalText? weights = null, [CallerFilePath] string testFile = "")
    {
        GeneratorRun run = GeneratorHarness.Run(source, weights is null ? [] : [weights], GeneratorHarness.StrictOptions);
        Assert.True(run.CompilationDiagnostics.IsEmpty, GeneratorHarness.Describe(run.CompilationDiagnostics));
        string generated = run.Source(hintName);

        // The golden files live beside this test in the source tree (found through the compiler-supplied path of
        // this file), so that an update rewrites the files that are committed.
        string path = Path.Combine(Path.GetDirectoryName(testFile)!, "Golden", hintName + ".txt");
        byte[] actual = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(generated);
        byte[]? expected = File.Exists(path) ? File.ReadAllBytes(path) : null;
        if (expected is not null && expected.AsSpan().SequenceEqual(actual))
        {
            return;
        }

        string update = "If the change is intended, rewrite the golden files with " + UpdateVariable + "=1 " +
            "(e.g. '" + UpdateVariable + "=1 Runtime.Tests/bin/Debug/net10.0/Fixed.Tests -class Fixed.Tests.Generator.GoldenOutputTests'), " +
            "review the diff and run again without it.";
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllBytes(path, actual);
            Assert.Fail("Rewrote " + path + " from the generator's output; this run fails so that an update is never silent. " +
                "Review the diff and run again without " + UpdateVariable + ".");
        }

        Assert.Fail(expected is null
            ? "Golden file " + path + " does not exist. " + update
            : "The generated " + hintName + " differs from " + path + ": " + FirstDifference(Encoding.UTF8.GetString(expected), generated) + " " + update);
    }

    private static string FirstDifference(string expected, string actual)
    {
        string[] expectedLines = expected.Split('\n');
        string[] actualLines = actual.Split('\n');
        for (int i = 0; i < Math.Max(expectedLines.Length, actualLines.Length); i++)
        {
            string? e = i < expectedLines.Length ? expectedLines[i] : null;
            string? a = i < actualLines.Length ? actualLines[i] : null;
            if (e != a)
            {
                return "first at line " + (i + 1).ToString(CultureInfo.InvariantCulture) + Environment.NewLine +
                    "  golden:    " + (e ?? "<end of file>") + Environment.NewLine +
                    "  generated: " + (a ?? "<end of file>") + Environment.NewLine;
            }
        }

        return "same lines, different bytes (line ends or encoding).";
    }
}
