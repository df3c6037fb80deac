using System.Buffers;
using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CheckoutAgent.Link.Cards;

/// <summary>
/// Card files as <c>link-cli --output-file</c> writes them: JSON holding the full card, created exclusively with mode
/// 0600, never through a symlink. The card's number and CVC exist only in the file and in <see cref="CardSecret"/>;
/// no message here ever contains file contents.
/// </summary>
public static class CardFile
{
    /// <summary>Error code: the output path already exists (file or directory).</summary>
    public const string OutputFileExists = "OUTPUT_FILE_EXISTS";

    /// <summary>Error code: the output path is a symbolic link.</summary>
    public const string OutputFileSymlink = "OUTPUT_FILE_SYMLINK";

    /// <summary>Error code: the output file could not be written (missing directory, I/O error, ...).</summary>
    public const string OutputFileWriteError = "OUTPUT_FILE_WRITE_ERROR";

    /// <summary>Error code: there is no card file at the path.</summary>
    public const string CardFileNotFound = "CARD_FILE_NOT_FOUND";

    /// <summary>Error code: the path is not a private regular file (symlink, directory, device, group/other bits).</summary>
    public const string CardFileUnsafe = "CARD_FILE_UNSAFE";

    /// <summary>Error code: the file is not a card file we can parse.</summary>
    public const string CardFileInvalid = "CARD_FILE_INVALID";

    /// <summary>Error code: the file could not be read.</summary>
    public const string CardFileReadError = "CARD_FILE_READ_ERROR";

    /// <summary>Error code: the card directory is a symlink or a file.</summary>
    public const string CardDirectoryUnsafe = "CARD_DIR_UNSAFE";

    /// <summary>The only permissions a card file may have: read and write for its owner (0600).</summary>
    public const UnixFileMode FilePermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The permissions of a card directory: owner only (0700).</summary>
    public const UnixFileMode DirectoryPermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    // A card file is a few hundred bytes; anything far bigger is not one, and is not worth holding in memory.
    private const int MaxFileBytes = 64 * 1024;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute |
        UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit;

    private static readonly JsonWriterOptions _writerOptions = new()
    {
        Indented = true,
        // The file is read by programs, never embedded in HTML: keep apostrophes and accents in the context readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    // Permission bits are the whole point of this class; on Windows there is nothing equivalent to rely on.
    [UnsupportedOSPlatformGuard("windows")]
    private static bool HasUnixPermissions => !OperatingSystem.IsWindows();

    /// <summary>
    /// Writes <paramref name="content"/> to a new file at <paramref name="path"/>, mode 0600 from the moment it exists.
    /// </summary>
    /// <returns>The absolute path written.</returns>
    /// <exception cref="LinkException"><c>OUTPUT_FILE_EXISTS</c> when something is already at the path,
    /// <c>OUTPUT_FILE_SYMLINK</c> when the path is a symlink, <c>OUTPUT_FILE_WRITE_ERROR</c> when the parent directory
    /// is missing or the write fails (a partial file is removed).</exception>
    public static string Write(string path, CardFileContent content)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        if (!HasUnixPermissions)
        {
            throw new PlatformNotSupportedException("Card files need POSIX file permissions.");
        }

        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        if (directory is null || !Directory.Exists(directory))
        {
            throw new LinkException(OutputFileWriteError,
                $"{OutputFileWriteError}: directory of {full} does not exist. Create it first (CardFile.EnsurePrivateDirectory).");
        }
        RefuseExistingOutput(full);

        var buffer = new ArrayBufferWriter<byte>(2048);
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, _writerOptions))
            {
                WriteJson(writer, content);
            }

            FileStream stream;
            try
            {
                // CreateNew is O_CREAT|O_EXCL: it fails on anything already there, a symlink planted after the check
                // included, so the check above only gives the nicer message.
                stream = new FileStream(full, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    Share = FileShare.None,
                    UnixCreateMode = FilePermissions,
                });
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                RefuseExistingOutput(full);
                throw new LinkException(OutputFileWriteError, $"{OutputFileWriteError}: could not create {full}: {ex.GetType().Name}.", null, ex);
            }

            try
            {
                using (stream)
                {
                    stream.Write(buffer.WrittenSpan);
                    stream.Flush(flushToDisk: true);
                }
            }
            catch (IOException ex)
            {
                // Half a card is useless and still secret: take it away again.
                Delete(full);
                throw new LinkException(OutputFileWriteError, $"{OutputFileWriteError}: could not write {full}: {ex.GetType().Name}.", null, ex);
            }
            return full;
        }
        finally
        {
            // Clear zeroes the written bytes, so the serialized number does not linger in a pooled-looking buffer.
            buffer.Clear();
        }
    }

    /// <summary>
    /// Reads the card from a card file written by <see cref="Write"/> (or by <c>link-cli --output-file</c>), after
    /// checking it is a regular file (not through a symlink), owned by the current user, with no group or other
    /// permissions. Type, owner and mode are judged on the file actually opened (<c>statx</c> on its descriptor), so a
    /// swap between the check and the read is caught.
    /// </summary>
    /// <exception cref="LinkException"><c>CARD_FILE_NOT_FOUND</c>, <c>CARD_FILE_UNSAFE</c> (symlink, not a regular
    /// file, another owner, group/other permission bits, or a system that cannot say who owns it),
    /// <c>CARD_FILE_INVALID</c> (not a card file) or <c>CARD_FILE_READ_ERROR</c>.
    /// Messages name the path and the rule, never the contents.</exception>
    public static CardSecret Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!HasUnixPermissions)
        {
            throw new PlatformNotSupportedException("Card files need POSIX file permissions.");
        }

        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        RefuseUnsafeInput(full, info);
        if (!info.Exists)
        {
            throw new LinkException(CardFileNotFound, $"{CardFileNotFound}: no card file at {full}.");
        }
        // .NET cannot tell a FIFO or device from a regular file, but those all report size 0, and opening a FIFO
        // would block: a size check before opening keeps them out (an empty card file is useless anyway).
        if (info.Length == 0 || info.Length > MaxFileBytes)
        {
            throw new LinkException(CardFileUnsafe,
                FormattableString.Invariant($"{CardFileUnsafe}: {full} is empty, not a regular file, or larger than {MaxFileBytes} bytes; it is not a card file."));
        }

        byte[] bytes;
        int length;
        try
        {
            using var handle = File.OpenHandle(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            // statx on the handle: type, owner and permissions judged are those of the file actually opened.
            var status = UnixFileStatus.Of(handle)
                ?? throw new LinkException(CardFileUnsafe,
                    $"{CardFileUnsafe}: cannot tell who owns {full} (this system has no statx); refusing to trust a card file whose owner is unknown.");
            if (!status.IsRegularFile)
            {
                throw new LinkException(CardFileUnsafe, $"{CardFileUnsafe}: {full} is not a regular file; it is not a card file.");
            }
            var currentUser = UnixFileStatus.CurrentUserId;
            if (status.OwnerId != currentUser)
            {
                throw new LinkException(CardFileUnsafe, FormattableString.Invariant(
                    $"{CardFileUnsafe}: {full} is owned by uid {status.OwnerId}, not by this process's user (uid {currentUser}). Refusing to trust it: delete it and fetch the card again as the user that runs the worker."));
            }
            var mode = File.GetUnixFileMode(handle);
            if ((mode & GroupOrOther) != 0)
            {
                throw new LinkException(CardFileUnsafe,
                    $"{CardFileUnsafe}: {full} has mode {FormatMode(mode)}; a card file must be 0600 (owner read/write only). Refusing to trust it: delete it and fetch the card again.");
            }
            var size = RandomAccess.GetLength(handle);
            if (size <= 0 || size > MaxFileBytes)
            {
                throw new LinkException(CardFileUnsafe, $"{CardFileUnsafe}: {full} changed size while being opened; it is not a card file.");
            }
            bytes = new byte[size];
            length = 0;
            while (length < bytes.Length)
            {
                var read = RandomAccess.Read(handle, bytes.AsSpan(length), length);
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new LinkException(CardFileReadError, $"{CardFileReadError}: could not read {full}: {ex.GetType().Name}.", null, ex);
        }

        try
        {
            // The path could have been swapped for a symlink between the first look and the open; look again.
            RefuseUnsafeInput(full, new FileInfo(full));
            return Parse(full, bytes.AsMemory(0, length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Deletes a card file (or a symlink at that path). Best effort: never throws.</summary>
    /// <returns>True when something was removed; false when nothing was there or it could not be removed.</returns>
    public static bool Delete(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }
        try
        {
            var full = Path.GetFullPath(path);
            var info = new FileInfo(full);
            if (!info.Exists && info.LinkTarget is null)
            {
                return false;
            }
            File.Delete(full);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Creates <paramref name="directory"/> with mode 0700, or tightens an existing one to 0700.</summary>
    /// <returns>The absolute path of the directory.</returns>
    /// <exception cref="LinkException"><c>CARD_DIR_UNSAFE</c> when the path is a symlink or a file.</exception>
    public static string EnsurePrivateDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!HasUnixPermissions)
        {
            throw new PlatformNotSupportedException("Card files need POSIX file permissions.");
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var info = new DirectoryInfo(full);
        if (info.LinkTarget is not null)
        {
            // chmod would follow the link and change some other directory's permissions.
            throw new LinkException(CardDirectoryUnsafe, $"{CardDirectoryUnsafe}: {full} is a symbolic link; use a real directory for card files.");
        }
        if (File.Exists(full))
        {
            throw new LinkException(CardDirectoryUnsafe, $"{CardDirectoryUnsafe}: {full} is a file, not a directory.");
        }
        if (!info.Exists)
        {
            Directory.CreateDirectory(full, DirectoryPermissions);
        }
        // Also undoes a umask or an existing looser mode.
        File.SetUnixFileMode(full, DirectoryPermissions);
        return full;
    }

    /// <summary>
    /// Deletes leftover <c>*.json</c> card files directly in <paramref name="directory"/> (not in subdirectories).
    /// Meant for a directory that holds card files only, at startup or after a crash.
    /// </summary>
    /// <returns>How many files were deleted; 0 when the directory does not exist.</returns>
    public static int Sweep(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            return 0;
        }
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            // Dot-files count as hidden on Unix; a leftover card is a leftover card whatever its name.
            AttributesToSkip = 0,
            MatchType = MatchType.Simple,
            IgnoreInaccessible = true,
        };
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(full, "*.json", options))
        {
            if (Delete(file))
            {
                deleted++;
            }
        }
        return deleted;
    }

    private static void RefuseExistingOutput(string full)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
        {
            throw new LinkException(OutputFileSymlink,
                $"{OutputFileSymlink}: {full} is a symbolic link. Refusing to write credentials through it.");
        }
        if (info.Exists || Directory.Exists(full))
        {
            throw new LinkException(OutputFileExists,
                $"{OutputFileExists}: {full} already exists. Card files are never overwritten: pick a new path or delete the old file.");
        }
    }

    private static void RefuseUnsafeInput(string full, FileInfo info)
    {
        if (info.LinkTarget is not null)
        {
            throw new LinkException(CardFileUnsafe, $"{CardFileUnsafe}: {full} is a symbolic link. Refusing to read card data through it.");
        }
        if (Directory.Exists(full))
        {
            throw new LinkException(CardFileUnsafe, $"{CardFileUnsafe}: {full} is a directory, not a regular file.");
        }
    }

    private static void WriteJson(Utf8JsonWriter writer, CardFileContent content)
    {
        var card = content.Card;
        var address = content.BillingAddress;
        writer.WriteStartObject();
        writer.WriteString("spend_request_id", content.SpendRequestId);
        writer.WriteString("merchant_name", content.MerchantName);
        writer.WriteString("merchant_url", content.MerchantUrl);
        writer.WriteString("context", content.Context);
        writer.WriteString("created_at", FormatTimestamp(content.CreatedAt));
        writer.WriteStartObject("card");
        writer.WriteString("number", card.Reveal(CardField.Number));
        writer.WriteString("cvc", card.Reveal(CardField.Cvc));
        writer.WriteNumber("exp_month", card.ExpMonth);
        writer.WriteNumber("exp_year", card.ExpYear);
        writer.WriteString("brand", card.Brand);
        writer.WriteString("last4", card.Last4);
        writer.WriteStartObject("billing_address");
        writer.WriteString("name", address?.Name ?? card.Reveal(CardField.Name));
        if (address is not null)
        {
            writer.WriteString("line1", address.Line1);
            writer.WriteString("city", address.City);
            writer.WriteString("state", address.State);
            writer.WriteString("postal_code", address.PostalCode);
            writer.WriteString("country", address.Country);
        }
        writer.WriteEndObject();
        if (card.ValidUntil is { } validUntil)
        {
            writer.WriteString("valid_until", FormatTimestamp(validUntil));
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static CardSecret Parse(string full, ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            // The parser's message quotes the offending character; leave it out, it is card file content.
            throw new LinkException(CardFileInvalid, $"{CardFileInvalid}: {full} is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(full, "the top level must be a JSON object");
            }
            // link-cli writes {spend_request_id, ..., card: {...}}; a bare card object is accepted too.
            var card = root.TryGetProperty("card", out var nested) ? nested : root;
            if (card.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(full, "card must be a JSON object");
            }

            var number = RequiredString(full, card, "number");
            var cvc = RequiredString(full, card, "cvc");
            var expMonth = RequiredInt(full, card, "exp_month");
            var expYear = RequiredInt(full, card, "exp_year");
            var brand = RequiredString(full, card, "brand");
            string? name = null;
            if (card.TryGetProperty("billing_address", out var address) && address.ValueKind == JsonValueKind.Object
                && address.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String)
            {
                name = nameElement.GetString();
            }
            DateTimeOffset? validUntil = null;
            if (card.TryGetProperty("valid_until", out var validElement) && validElement.ValueKind == JsonValueKind.String)
            {
                if (!DateTimeOffset.TryParse(validElement.GetString(), CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                {
                    throw Invalid(full, "card.valid_until must be an ISO-8601 timestamp");
                }
                validUntil = parsed;
            }

            if (number.Length < 12 || !number.All(char.IsAsciiDigit))
            {
                throw Invalid(full, "card.number must be 12 or more digits");
            }
            if (cvc.Length is < 3 or > 4 || !cvc.All(char.IsAsciiDigit))
            {
                throw Invalid(full, "card.cvc must be 3 or 4 digits");
            }
            if (expMonth is < 1 or > 12)
            {
                throw Invalid(full, "card.exp_month must be 1..12");
            }
            if (expYear is < 2000 or > 2999)
            {
                throw Invalid(full, "card.exp_year must be a four-digit year");
            }
            return new CardSecret(number, cvc, expMonth, expYear, brand, name, validUntil);
        }
    }

    private static string RequiredString(string full, JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(element.GetString()))
        {
            throw Invalid(full, $"card.{name} is missing or not a non-empty string");
        }
        return element.GetString()!;
    }

    private static int RequiredInt(string full, JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.Number
            || !element.TryGetInt32(out var value))
        {
            throw Invalid(full, $"card.{name} is missing or not an integer");
        }
        return value;
    }

    private static LinkException Invalid(string full, string rule) =>
        new(CardFileInvalid, $"{CardFileInvalid}: {full} is not a usable card file: {rule}.");

    // The same shape JavaScript's toISOString() gives, which is what link-cli writes.
    private static string FormatTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string FormatMode(UnixFileMode mode) =>
        "0" + Convert.ToString((int)mode & 0xFFF, 8).PadLeft(3, '0');
}
