using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CheckoutAgent.DemoMerchant;

/// <summary>
/// The shop's pictures: a banner on every page and a photo per product (also the cart's and checkout's thumbnails),
/// generated once as real PNG files (a gradient with grain, so they compress like photos rather than to nothing). They
/// give the browser the decoding and painting a real shop costs, so a recipe's <c>block: [images]</c> has something to save.
/// </summary>
internal static class ShopImages
{
    private static readonly Lazy<byte[]> BannerPng = new(() => Render(960, 160, seed: 7));

    /// <summary>The banner at the top of every page, 960 × 160.</summary>
    public static byte[] Banner => BannerPng.Value;

    private static readonly Dictionary<string, byte[]> Products = new(StringComparer.Ordinal);

    /// <summary>A product's photo, 480 × 360, the same bytes each time for one SKU.</summary>
    public static byte[] Product(string sku)
    {
        lock (Products)
        {
            if (!Products.TryGetValue(sku, out var png))
            {
                png = Render(480, 360, seed: StableHash(sku));
                Products[sku] = png;
            }
            return png;
        }
    }

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }
        return hash & 0x7fffffff;
    }

    /// <summary>An RGB PNG: a diagonal gradient in colours chosen by <paramref name="seed"/>, with a little noise.</summary>
    internal static byte[] Render(int width, int height, int seed)
    {
        var random = new Random(seed);
        var (r0, g0, b0) = (random.Next(40, 200), random.Next(40, 200), random.Next(40, 200));
        var raw = new byte[height * ((width * 3) + 1)];
        var at = 0;
        for (var y = 0; y < height; y++)
        {
            raw[at++] = 0; // filter: none
            for (var x = 0; x < width; x++)
            {
                var shade = ((x * 96) / width) + ((y * 64) / height);
                raw[at++] = (byte)Math.Clamp(r0 + shade - 80 + random.Next(12), 0, 255);
                raw[at++] = (byte)Math.Clamp(g0 + (shade / 2) - 40 + random.Next(12), 0, 255);
                raw[at++] = (byte)Math.Clamp(b0 - (shade / 2) + random.Next(12), 0, 255);
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = 2; // truecolour (RGB)
        Chunk(png, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(raw);
            }
            Chunk(png, "IDAT", compressed.ToArray());
        }
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeBytes, data));
        png.Write(number);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c;
    }).ToArray();

    /// <summary>PNG's CRC-32 (ISO 3309) over the chunk type and data.</summary>
    private static uint Crc32(byte[] type, byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in type.Concat(data))
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return crc ^ 0xFFFFFFFFu;
    }
}
