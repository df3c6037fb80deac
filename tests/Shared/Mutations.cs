using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using JV = System.Text.Json.Nodes.JsonValue;

namespace CheckoutAgent.Tests;

/// <summary>
/// Generated and mutated inputs for the fuzz tests (CsCheck): a valid seed text cut, spliced, bit-flipped, or with
/// tokens that break parsers inserted; a valid JSON document with one value replaced by another of any kind. Each
/// generator is deterministic in CsCheck's seed, so a failure prints a seed that replays it.
/// </summary>
/// <remarks>Linked into each test project that fuzzes (see their .csproj).</remarks>
internal static class Mutations
{
    /// <summary>A card number (Luhn-valid test PAN) planted in inputs: no answer may echo it unmasked.</summary>
    public const string PlantedCardNumber = "4242424242424242";

    /// <summary>How many inputs a fuzz test tries: thousands by default, fewer or more with FUZZ_ITERATIONS.</summary>
    public static long Iterations(long byDefault) =>
        long.TryParse(Environment.GetEnvironmentVariable("FUZZ_ITERATIONS"), out var n) && n > 0 ? n : byDefault;

    private static readonly string[] Tokens =
    [
        "\"", "{", "}", "[", "]", ",", ":", "null", "-1", "1e999", "99999999999999999999999", "-0", "\u0000", "\ud800", "\uffff",
        "${card.number}", "${card.cvc}", "${nope}", PlantedCardNumber, "\n", "\r\n", "  - ", "&a", "*a", "!!binary", "%TAG", "\\",
        "\\u0000", "'", "#", "---", "...", "? ", "|", ">", "\t", "<script>", "../../etc/passwd", "\u202e", "🙂",
    ];

    /// <summary>Random text: any of CsCheck's strings, or a short run of parser-breaking tokens.</summary>
    public static Gen<string> Text { get; } = Gen.Frequency(
        (3, Gen.String),
        (2, Gen.Int[0, Tokens.Length - 1].Array[1, 6].Select(ix => string.Concat(ix.Select(i => Tokens[i])))),
        (1, Gen.Int[0, 3000].Select(n => new string('a', n))));

    /// <summary>The seed text mutated once or a few times.</summary>
    public static Gen<string> OfText(string seed) =>
        Gen.Select(Gen.Int[0, 7], Gen.Int, Gen.Int, Text).Array[1, 3].Select(steps =>
        {
            var text = seed;
            foreach (var (kind, a, b, insert) in steps)
            {
                text = Mutate(text, kind, a, b, insert);
            }
            return text;
        });

    private static string Mutate(string seed, int kind, int a, int b, string insert)
    {
        var i = (int)((uint)a % (uint)(seed.Length + 1));
        var j = (int)((uint)b % (uint)(seed.Length + 1));
        var (lo, hi) = i <= j ? (i, j) : (j, i);
        return kind switch
        {
            0 => seed[..i],
            1 => seed[..i] + insert + seed[i..],
            2 => seed[..lo] + seed[hi..],
            3 when i < seed.Length => seed[..i] + (char)(seed[i] ^ (1 << (int)((uint)b % 7))) + seed[(i + 1)..],
            4 => seed[..hi] + seed[lo..hi] + seed[hi..],
            5 => seed[..i] + Tokens[(int)((uint)b % (uint)Tokens.Length)] + seed[i..],
            6 => seed[..lo] + insert + seed[hi..],
            _ => insert,
        };
    }

    /// <summary>Any JSON value, nested a little, from plain scalars to deep arrays and huge numbers.</summary>
    public static Gen<JsonNode?> AnyJson { get; } = Gen.Select(Gen.Int[0, 15], Text, Gen.Long, Gen.Double, (kind, text, number, real) => kind switch
    {
        0 => null,
        1 => (JsonNode)JV.Create(text),
        2 => JV.Create(number),
        3 => double.IsFinite(real) ? JV.Create(real) : JV.Create(0.5),
        4 => JV.Create(true),
        5 => JV.Create(0),
        6 => JV.Create(-1),
        7 => new JsonArray(),
        8 => new JsonObject(),
        9 => new JsonArray(JV.Create(text)),
        10 => new JsonObject { [text.Length == 0 ? "k" : text] = JV.Create(text) },
        11 => JsonNode.Parse(new string('[', 40) + new string(']', 40)),
        12 => JV.Create(PlantedCardNumber),
        13 => JV.Create("https://10.0.0.5/hook"),
        14 => JV.Create(new string('x', 70_000)),
        _ => JV.Create(""),
    });

    /// <summary>
    /// The seed JSON with one value (found by a walk over every object member and array element) replaced, removed,
    /// or joined by an unknown member.
    /// </summary>
    public static Gen<string> OfJson(string seed) => Gen.Select(Gen.Int, Gen.Int[0, 4], AnyJson, Text, (pick, how, value, name) =>
    {
        var root = JsonNode.Parse(seed)!;
        var slots = new List<(JsonNode Parent, object Key)>();
        Walk(root, slots);
        if (slots.Count == 0)
        {
            return seed;
        }
        var (parent, key) = slots[(int)((uint)pick % (uint)slots.Count)];
        switch (how, parent, key)
        {
            case (0, JsonObject obj, string member):
                obj.Remove(member);
                break;
            case (1, JsonObject obj, _):
                obj[name.Length == 0 ? "extra" : name] = value?.DeepClone();
                break;
            case (_, JsonObject obj, string member):
                obj[member] = value?.DeepClone();
                break;
            case (_, JsonArray array, int index):
                array[index] = value?.DeepClone();
                break;
        }
        return root.ToJsonString();
    });

    private static void Walk(JsonNode node, List<(JsonNode, object)> slots)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToList())
                {
                    slots.Add((obj, name));
                    if (child is not null)
                    {
                        Walk(child, slots);
                    }
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    slots.Add((array, i));
                    if (array[i] is { } child)
                    {
                        Walk(child, slots);
                    }
                }
                break;
        }
    }

    /// <summary>Whether <paramref name="text"/> is well-formed JSON.</summary>
    public static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            // ArgumentException: a lone surrogate cannot become the UTF-8 a request body would be.
            return false;
        }
    }
}
