using System.Text.Encodings.Web;
using System.Text.Json;

namespace CheckoutAgent.LinkCliStandIn;

internal static class Output
{
    /// <summary>Like <c>JSON.stringify(x, null, 2)</c>: two-space indent, no HTML escaping.</summary>
    public static JsonSerializerOptions Pretty { get; } = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Like <c>JSON.stringify(x)</c>.</summary>
    public static JsonSerializerOptions Compact { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
