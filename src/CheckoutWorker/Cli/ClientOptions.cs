using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using CheckoutAgent.Worker.Client;

namespace CheckoutAgent.Worker.Cli;

/// <summary>Exit codes of the client verbs (<c>purchase</c>, <c>schedule</c>).</summary>
internal static class ClientExitCodes
{
    public const int Ok = 0;
    /// <summary><c>purchase get --watch</c>: the purchase ended but did not succeed.</summary>
    public const int NotSucceeded = 1;
    /// <summary>Bad arguments, or the API refused the request (4xx).</summary>
    public const int Refused = 2;
    /// <summary>The server could not be reached or failed (5xx): retrying later may help.</summary>
    public const int ServerSide = 3;
    /// <summary>The API answered 429: the agent went over a rate limit; the same command works after the wait printed.</summary>
    public const int RateLimited = 4;
}

/// <summary>What a client verb's action works with: the API client, where to write, and whether to print JSON.</summary>
internal sealed record ClientContext(CheckoutApiClient Api, TextWriter Out, TextWriter Error, bool Json, ParseResult Parse)
{
    /// <summary>Prints API JSON indented, as the API sent it (no escaping of non-ASCII).</summary>
    public void WriteJson(JsonElement json) => Out.WriteLine(JsonSerializer.Serialize(json, ClientOptions.Indented));
}

/// <summary>An error in the arguments found by a verb itself (not by the parser): printed as <c>error: …</c>, exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The options every client verb takes (<c>--server</c>, <c>--token</c>, <c>--json</c>), recursive on the verb group,
/// and the one place that turns API errors into <c>error: code (field): message</c> and exit codes.
/// </summary>
internal sealed class ClientOptions
{
    internal static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Option<string?> Server { get; } = new("--server")
    {
        Description = $"URL of the running 'checkout-agent serve' (default: ${CheckoutApiClient.ServerUrlVariable}, else {CheckoutApiClient.DefaultServerUrl}).",
        HelpName = "URL",
        Recursive = true,
    };

    // No DefaultValueFactory: help would print the token from the environment.
    public Option<string?> Token { get; } = new("--token")
    {
        Description = $"Agent bearer token cat_… from 'checkout-agent agent add' (default: ${CheckoutApiClient.TokenVariable}; prefer the variable, " +
                      "command lines are visible to other users).",
        HelpName = "TOKEN",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the API's JSON on stdout instead of text.",
        Recursive = true,
    };

    /// <summary>Adds the options to a verb group (they apply to all its subcommands).</summary>
    public void AddTo(Command group)
    {
        group.Options.Add(Server);
        group.Options.Add(Token);
        group.Options.Add(Json);
    }

    /// <summary>Sets a subcommand's action: builds the client, runs <paramref name="run"/>, maps errors to exit codes.</summary>
    public void SetAction(Command command, Func<ClientContext, CancellationToken, Task<int>> run) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var server = parse.GetValue(Server) is { Length: > 0 } given ? given
                : Environment.GetEnvironmentVariable(CheckoutApiClient.ServerUrlVariable) is { Length: > 0 } configured ? configured
                : CheckoutApiClient.DefaultServerUrl;
            if (!Uri.TryCreate(server, UriKind.Absolute, out var serverUrl) || serverUrl.Scheme is not ("http" or "https"))
            {
                return Usage(error, $"--server must be an http(s) URL such as {CheckoutApiClient.DefaultServerUrl}; got '{server}'");
            }
            var token = parse.GetValue(Token) is { Length: > 0 } givenToken ? givenToken
                : Environment.GetEnvironmentVariable(CheckoutApiClient.TokenVariable);
            if (string.IsNullOrEmpty(token))
            {
                return Usage(error, $"no agent token: pass --token or set {CheckoutApiClient.TokenVariable} " +
                                    "(create one with 'checkout-agent agent add NAME --scopes purchases:write,purchases:read')");
            }
            CheckoutApiClient api;
            try
            {
                api = new CheckoutApiClient(serverUrl, token);
            }
            catch (ArgumentException ex)
            {
                return Usage(error, ex.Message.Split(" (Parameter")[0]);
            }
            using (api)
            {
                try
                {
                    return await run(new ClientContext(api, output, error, parse.GetValue(Json), parse), cancellationToken);
                }
                catch (UsageException ex)
                {
                    return Usage(error, ex.Message);
                }
                catch (CheckoutApiException ex)
                {
                    foreach (var problem in ex.Problems)
                    {
                        await error.WriteLineAsync($"error: {problem}");
                    }
                    if (ex.IsRateLimited)
                    {
                        await error.WriteLineAsync($"rate limited: wait {RateLimitWait(ex)} and run the same command again (with the same --idempotency-key a create is never doubled)");
                        return ClientExitCodes.RateLimited;
                    }
                    return ex.IsServerSide ? ClientExitCodes.ServerSide : ClientExitCodes.Refused;
                }
            }
        });

    /// <summary>"3 s", or "a moment" when the server named no wait.</summary>
    internal static string RateLimitWait(CheckoutApiException ex) =>
        ex.RetryAfter is { } wait ? $"{Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds))} s" : "a moment";

    internal static int Usage(TextWriter error, string message)
    {
        error.WriteLine($"error: {message}");
        return ClientExitCodes.Refused;
    }

    /// <summary>Reads a JSON file (<c>-</c> = stdin) given to <paramref name="option"/>; errors name the option and where the JSON broke.</summary>
    internal static async Task<JsonElement> ReadJsonFileAsync(string path, string option, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = path == "-" ? await Console.In.ReadToEndAsync(cancellationToken) : await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot read '{path}': {ex.Message}");
        }
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new UsageException($"{option}: '{path}' must hold a JSON object; got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            }
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new UsageException($"{option}: '{path}' is not valid JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}");
        }
    }

    /// <summary>A string property, or null.</summary>
    internal static string? Text(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A number property, or null.</summary>
    internal static long? Number(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    /// <summary>An ISO time property shown as <c>2026-11-21 09:00:00Z</c>, or "-".</summary>
    internal static string Time(JsonElement json, string name) =>
        Text(json, name) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)
            : "-";
}
