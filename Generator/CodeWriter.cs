using System;
using System.Text;

namespace Fixed.Generator;

/// <summary>Builds generated source with consistent four-space indentation and '\n' line ends (deterministic on every OS).</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
        }

        _text.Append(line).Append('\n');
        return this;
    }

    /// <summary>A preprocessor directive, at the start of the line as C# formatting puts them.</summary>
    public CodeWriter Directive(string directive)
    {
        _text.Append(directive).Append('\n');
        return this;
    }

    public CodeWriter Lines(string block)
    {
        foreach (string line in block.Replace("\r\n", "\n").Split('\n'))
        {
            Line(line);
        }

        return this;
    }

    /// <summary>Writes <c>{</c>, indents, and returns a scope whose disposal writes the matching <c>}</c>.</summary>
    public Block Open(string? header = null)
    {
        if (header is not null)
        {
            Line(header);
        }

        Line("{");
        _indent++;
        return new Block(this);
    }

    public override string ToString() => _text.ToString();

    public readonly struct Block : IDisposable
    {
        private readonly CodeWriter _writer;

        public Block(CodeWriter writer) => _writer = writer;

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line("}");
        }
    }
}
