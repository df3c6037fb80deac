using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>
/// The sweep reads screenshot metadata decoded: Chromium's screenshots carry no text chunks, so without this test the
/// decoding would never run and could be wrong unnoticed. A number hidden in a compressed chunk is not in the raw bytes.
/// </summary>
public class PngTextChunkTests
{
    private const string Number = "4000056655665556";

    [Test]
    public void PngTextChunks_DecodesPlainCompressedAndInternationalChunks()
    {
        var png = Png(
            ("tEXt", Concat(Latin1("Comment\0"), Latin1("plain " + Number))),
            ("zTXt", Concat(Latin1("Comment\0\0"), Deflate("zipped " + Number))),
            ("iTXt", Concat(Latin1("Comment\0\u0001\0en\0\0"), Deflate("international " + Number))),
            ("iTXt", Concat(Latin1("Comment\0\0\0\0\0"), Encoding.UTF8.GetBytes("uncompressed " + Number))));

        var chunks = LeakSweep.PngTextChunks(png).ToList();

        Assert.That(chunks.Select(c => c.Type), Is.EqualTo(new[] { "tEXt", "zTXt", "iTXt", "iTXt" }));
        Assert.That(chunks.Select(c => c.Text), Has.All.Contain(Number).And.All.StartWith("Comment"));
        Assert.That(Encoding.Latin1.GetString(png), Does.Not.Contain("zipped " + Number), "compressed: only decoding finds it");
    }

    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] Deflate(string text)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal))
        {
            zlib.Write(Encoding.UTF8.GetBytes(text));
        }
        return output.ToArray();
    }

    /// <summary>A PNG signature and the given chunks (CRCs left zero: the reader does not check them).</summary>
    private static byte[] Png(params (string Type, byte[] Data)[] chunks)
    {
        var png = new List<byte>([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        foreach (var (type, data) in chunks)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
            png.AddRange(length);
            png.AddRange(Encoding.ASCII.GetBytes(type));
            png.AddRange(data);
            png.AddRange(new byte[4]);
        }
        return [.. png];
    }
}
