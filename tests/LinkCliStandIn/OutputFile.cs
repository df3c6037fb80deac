using System.Text;
using System.Text.Json.Nodes;

namespace CheckoutAgent.LinkCliStandIn;

/// <summary>
/// <c>--output-file</c> (link-api.md §9): applied only when the final spend request has a <c>card</c>. The full card goes
/// into a new 0600 file (never through a symlink, never over an existing file unless <c>--force</c>); stdout gets the
/// spend request without <c>card</c>, plus <c>card_output_file</c>.
/// </summary>
internal static class OutputFile
{
    public static JsonObject Apply(JsonObject spendRequest, string? outputFile, bool force)
    {
        if (outputFile is null || spendRequest["card"] is not JsonObject card)
        {
            return spendRequest;
        }
        var path = Path.GetFullPath(outputFile);
        var content = new JsonObject
        {
            ["spend_request_id"] = spendRequest["id"]?.DeepClone(),
            ["merchant_name"] = spendRequest["merchant_name"]?.DeepClone(),
            ["merchant_url"] = spendRequest["merchant_url"]?.DeepClone(),
            ["context"] = spendRequest["context"]?.DeepClone(),
            ["created_at"] = spendRequest["created_at"]?.DeepClone(),
            ["card"] = card.DeepClone(),
        };
        Write(path, content.ToJsonString(Output.Pretty), force);

        var redacted = new JsonObject();
        foreach (var (key, value) in spendRequest)
        {
            if (key != "card")
            {
                redacted[key] = value?.DeepClone();
            }
        }
        redacted["card_output_file"] = path;
        return redacted;
    }

    private static void Write(string path, string text, bool force)
    {
        // lstat first: a symlink is refused even with --force.
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            throw Symlink(path);
        }
        if (info.Exists || Directory.Exists(path))
        {
            if (!force)
            {
                throw Exists(path);
            }
            File.Delete(path);
        }
        FileStream stream;
        try
        {
            // CreateNew is O_CREAT|O_EXCL, which never follows a symlink: anything planted since the check fails here.
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (new FileInfo(path).LinkTarget is not null)
        {
            throw Symlink(path);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw Exists(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliError("OUTPUT_FILE_WRITE_ERROR", $"OUTPUT_FILE_WRITE_ERROR: could not write {path}: {ex.Message}");
        }
        using (stream)
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
        }
    }

    private static CliError Exists(string path) =>
        new("OUTPUT_FILE_EXISTS", $"OUTPUT_FILE_EXISTS: {path} already exists. Use --force to overwrite.");

    private static CliError Symlink(string path) =>
        new("OUTPUT_FILE_WRITE_ERROR", $"OUTPUT_FILE_SYMLINK: {path} is a symbolic link. Refusing to write credentials through it.");
}
