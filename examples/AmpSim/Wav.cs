using System;
using System.Buffers.Binary;
using System.IO;

/// <summary>
/// A WAV file's samples as floats in [-1, 1], channel-interleaved. Reads PCM 16, 24 and 32-bit integer and 32-bit float
/// (also in a WAVE_FORMAT_EXTENSIBLE header), any channel count, skipping chunks it does not need; writes 32-bit float
/// or 24-bit PCM. A file it cannot read is an <see cref="InvalidDataException"/> that says why.
/// </summary>
internal sealed record Wav(int SampleRate, int Channels, float[] Samples)
{
    /// <summary>Frames (samples per channel).</summary>
    public int Frames => Samples.Length / Channels;

    /// <summary>Duration in seconds.</summary>
    public double Seconds => (double)Frames / SampleRate;

    private const ushort FormatPcm = 1, FormatFloat = 3, FormatExtensible = 0xFFFE;

    /// <summary>The largest data chunk read: 1 GiB (about 90 minutes of 48 kHz stereo float).</summary>
    private const long MaxDataBytes = 1L << 30;

    public static Wav Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static Wav Parse(ReadOnlySpan<byte> file)
    {
        if (file.Length < 12 || !file[..4].SequenceEqual("RIFF"u8) || !file.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("not a RIFF/WAVE file (the first 12 bytes are not 'RIFF', a size, 'WAVE').");
        }

        ushort format = 0, channels = 0, bits = 0;
        int rate = 0;
        ReadOnlySpan<byte> data = default;
        bool haveFormat = false, haveData = false;
        int at = 12;
        while (at + 8 <= file.Length)
        {
            ReadOnlySpan<byte> id = file.Slice(at, 4);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(at + 4, 4));
            int body = at + 8;
            if (size > file.Length - body)
            {
                if (id.SequenceEqual("data"u8) && haveFormat)
                {
                    // A recorder stopped before it wrote the final size: take what is there, as most players do.
                    size = (uint)(file.Length - body);
                }
                else
                {
                    throw new InvalidDataException($"chunk '{Ascii(id)}' at byte {at} claims {size} bytes, but only {file.Length - body} remain (truncated file).");
                }
            }

            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16)
                {
                    throw new InvalidDataException($"'fmt ' chunk of {size} bytes; at least 16 expected.");
                }

                ReadOnlySpan<byte> f = file.Slice(body, (int)size);
                format = BinaryPrimitives.ReadUInt16LittleEndian(f);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(f[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(f[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(f[14..]);
                if (format == FormatExtensible)
                {
                    if (size < 40)
                    {
                        throw new InvalidDataException($"WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk of {size} bytes; 40 expected.");
                    }

                    format = BinaryPrimitives.ReadUInt16LittleEndian(f[24..]);   // the sub-format GUID starts with the format code
                }

                haveFormat = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (size > MaxDataBytes)
                {
                    throw new InvalidDataException($"data chunk of {size} bytes; at most {MaxDataBytes} are read.");
                }

                data = file.Slice(body, (int)size);
                haveData = true;
            }

            at = body + (int)size + (int)(size & 1);   // chunks are padded to an even length
        }

        if (!haveFormat || !haveData)
        {
            throw new InvalidDataException(haveFormat ? "no 'data' chunk." : "no 'fmt ' chunk before the end of the file.");
        }

        if (channels is 0 or > 64 || rate is <= 0 or > 1_000_000)
        {
            throw new InvalidDataException($"{channels} channels at {rate} Hz: not a usable format.");
        }

        int width = bits / 8;
        bool supported = (format == FormatPcm && bits is 16 or 24 or 32) || (format == FormatFloat && bits == 32);
        if (!supported)
        {
            throw new InvalidDataException($"sample format {format} with {bits} bits is not read here (PCM 16/24/32-bit and 32-bit float are).");
        }

        int frames = data.Length / (width * channels);
        var samples = new float[frames * channels];
        for (int i = 0; i < samples.Length; i++)
        {
            ReadOnlySpan<byte> s = data.Slice(i * width, width);
            samples[i] = (format, bits) switch
            {
                (FormatFloat, _) => BinaryPrimitives.ReadSingleLittleEndian(s),
                (_, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768f,
                (_, 24) => ((s[0] | (s[1] << 8) | (s[2] << 16)) << 8 >> 8) / 8388608f,
                _ => (float)(BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0),
            };
        }

        return new Wav(rate, channels, samples);
    }

    /// <summary>Writes 32-bit float samples (<paramref name="floatSamples"/>) or 24-bit PCM, clipped to [-1, 1].</summary>
    public void Write(string path, bool floatSamples = true)
    {
        int width = floatSamples ? 4 : 3;
        int dataBytes = Samples.Length * width;
        var bytes = new byte[44 + dataBytes];
        Span<byte> b = bytes;
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], 36 + dataBytes);
        "WAVEfmt "u8.CopyTo(b[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(b[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(b[20..], floatSamples ? FormatFloat : FormatPcm);
        BinaryPrimitives.WriteUInt16LittleEndian(b[22..], (ushort)Channels);
        BinaryPrimitives.WriteInt32LittleEndian(b[24..], SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(b[28..], SampleRate * Channels * width);
        BinaryPrimitives.WriteUInt16LittleEndian(b[32..], (ushort)(Channels * width));
        BinaryPrimitives.WriteUInt16LittleEndian(b[34..], (ushort)(width * 8));
        "data"u8.CopyTo(b[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(b[40..], dataBytes);
        for (int i = 0; i < Samples.Length; i++)
        {
            float x = Math.Clamp(Samples[i], -1f, 1f);
            Span<byte> s = b.Slice(44 + (i * width), width);
            if (floatSamples)
            {
                BinaryPrimitives.WriteSingleLittleEndian(s, x);
            }
            else
            {
                int v = (int)MathF.Round(x * 8388607f);
                s[0] = (byte)v;
                s[1] = (byte)(v >> 8);
                s[2] = (byte)(v >> 16);
            }
        }

        File.WriteAllBytes(path, bytes);
    }

    private static string Ascii(ReadOnlySpan<byte> id)
    {
        Span<char> c = stackalloc char[id.Length];
        for (int i = 0; i < id.Length; i++)
        {
            c[i] = id[i] is >= 32 and < 127 ? (char)id[i] : '?';
        }

        return new string(c);
    }
}
