using System.Text.Json.Nodes;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary>An error the way link-cli reports it: <c>{"code","message"[,"retryable"][,"fieldErrors"][,"cta"]}</c> on
/// stdout, exit code 1.</summary>
internal sealed class CliError(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
    public bool Retryable { get; init; }
    public JsonArray? FieldErrors { get; init; }
    public JsonObject? Cta { get; init; }

    public static CliError Unknown(string message) => new("UNKNOWN", message);

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["code"] = Code, ["message"] = Message };
        if (Retryable)
        {
            json["retryable"] = true;
        }
        if (FieldErrors is not null)
        {
            json["fieldErrors"] = FieldErrors;
        }
        if (Cta is not null)
        {
            json["cta"] = Cta;
        }
        return json;
    }
}
