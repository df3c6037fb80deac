using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary>
/// Where link-cli keeps its login (link-api.md §5): a JSON file <c>{"auth": {...} | null, "pendingDeviceAuth": ...}</c>
/// chosen by <c>--auth</c>, <c>LINK_AUTH_FILE</c> or the default under <c>$XDG_CONFIG_HOME</c>; or, when
/// <c>LINK_ACCESS_TOKEN</c> is set, that token and no file at all.
/// </summary>
internal sealed class AuthStore
{
    private readonly string? _envAccessToken;
    private readonly string? _envRefreshToken;
    private JsonObject _document = new() { ["auth"] = null, ["pendingDeviceAuth"] = null };

    private AuthStore(string path, string? envAccessToken, string? envRefreshToken)
    {
        FilePath = path;
        _envAccessToken = envAccessToken;
        _envRefreshToken = envRefreshToken;
    }

    /// <summary>The credentials file (absolute), even when an environment token makes it unused.</summary>
    public string FilePath { get; }

    public bool UsesEnvironmentToken => _envAccessToken is not null;

    public JsonObject? Auth => UsesEnvironmentToken
        ? new JsonObject { ["access_token"] = _envAccessToken, ["refresh_token"] = _envRefreshToken, ["token_type"] = "Bearer" }
        : _document["auth"] as JsonObject;

    public JsonObject? PendingDeviceAuth => _document["pendingDeviceAuth"] as JsonObject;

    public bool IsAuthenticated => Auth is not null;

    public static AuthStore Open(string? authFlag, Func<string, string?> env)
    {
        var path = authFlag ?? NonEmpty(env("LINK_AUTH_FILE"));
        if (path is null)
        {
            var config = NonEmpty(env("XDG_CONFIG_HOME"))
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            path = Path.Combine(config, "link-cli-nodejs", "config.json");
        }
        if (!path.EndsWith(".json", StringComparison.Ordinal))
        {
            path += ".json";
        }
        var store = new AuthStore(Path.GetFullPath(path), NonEmpty(env("LINK_ACCESS_TOKEN")), NonEmpty(env("LINK_REFRESH_TOKEN")));
        if (!store.UsesEnvironmentToken)
        {
            store.Load();
        }
        return store;
    }

    public void SaveAuth(JsonObject? auth)
    {
        if (UsesEnvironmentToken)
        {
            // An environment token is never persisted (link-api.md §1).
            return;
        }
        _document["auth"] = auth;
        Save();
    }

    public void SavePendingDeviceAuth(JsonObject? pending)
    {
        _document["pendingDeviceAuth"] = pending;
        Save();
    }

    public void Delete()
    {
        if (File.Exists(FilePath))
        {
            File.Delete(FilePath);
        }
    }

    private void Load()
    {
        if (!File.Exists(FilePath))
        {
            // conf creates the store on first read.
            Save();
            return;
        }
        try
        {
            _document = JsonNode.Parse(File.ReadAllText(FilePath)) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            throw CliError.Unknown($"Could not read credentials file {FilePath}: it is not valid JSON.");
        }
    }

    private void Save()
    {
        var directory = Path.GetDirectoryName(FilePath)!;
        Directory.CreateDirectory(directory);
        // Atomic replace, 0600 from creation: write a sibling temp file, then rename over the target.
        var temp = Path.Combine(directory, "." + Path.GetFileName(FilePath) + "." + Environment.ProcessId + ".tmp");
        var json = _document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentCharacter = '\t', IndentSize = 1 });
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.UTF8.GetBytes(json));
        }
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, FilePath, overwrite: true);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
