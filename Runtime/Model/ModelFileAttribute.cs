using System;

namespace Fixed;

/// <summary>
/// Declares a network made elsewhere: the Fixed source generator reads <see cref="Path"/> (an item of the project's
/// <c>&lt;AdditionalFiles&gt;</c>) at compile time and emits the class a hand-written layer stack of the file's layers
/// would get, with the file's weights compiled in (the parameterless constructor starts from them). <c>Load(path)</c>
/// on that class reads the same format at run time. docs/importing.md lists the formats and what each maps to.
/// </summary>
/// <example><code>[ModelFile("amp.json")] public partial class Amp;   // + &lt;AdditionalFiles Include="amp.json" /&gt;</code></example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ModelFileAttribute : Attribute
{
    /// <summary>Declares the network that the model file <paramref name="path"/> holds.</summary>
    public ModelFileAttribute(string path) => Path = path;

    /// <summary>The model file, matched against the AdditionalFiles items as <c>Weights</c> is: a file name or the end of a path.</summary>
    public string Path { get; }

    /// <summary>The longest sequence one <c>Backward</c> call accepts (sizes the BPTT tape); default 64.</summary>
    public int Window { get; set; } = 64;
}
