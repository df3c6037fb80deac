using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CheckoutAgent.Link.Cards;
using Polly;
using Polly.Retry;

namespace CheckoutAgent.Link.Cli;

/// <summary>
/// <see cref="ILinkClient"/> over the real <c>link-cli</c>, run as a child process with <c>--format json</c> for every
/// call. Input is validated locally first (Link's rules, Link's $500.00 cap), so a bad request never reaches the CLI.
/// Card data never goes into arguments or the environment, and comes back only through
/// <c>spend-request retrieve --include card --output-file</c> into a 0600 file in a 0700 directory: results carry brand,
/// last 4 and the file path, never the number.
/// </summary>
/// <remarks>
/// Errors: the CLI's error JSON (<c>{"code","message"}</c>, exit 1) becomes a <see cref="LinkException"/> with the
/// CLI's code, with three refinements a program can branch on: a 404 from a spend request call is <c>NOT_FOUND</c>,
/// a missing or dead login (<c>Not authenticated…</c>, a failed token refresh, a second 401) is
/// <c>NOT_AUTHENTICATED</c>, and an output path that is a symlink is <c>OUTPUT_FILE_SYMLINK</c> (as
/// <see cref="CardFile.Write"/> reports it). An executable that cannot start, times out or crashes is
/// <c>CLI_UNAVAILABLE</c>. Any CLI text in a message is masked so no card number can appear in it.
/// A create refused for a duplicate (HTTP 429 with <c>duplicate_spend_request</c>) is
/// <see cref="LinkErrorCodes.RateLimited"/> with <see cref="LinkException.DuplicateSpendRequestId"/> read from the
/// CLI's message; a 5xx or an unreachable Link is marked <see cref="LinkException.Retryable"/>, and reads of a spend
/// request (retrieve, and each polling round) are retried a few times with backoff before such an error is passed on.
/// </remarks>
public sealed partial class LinkCliClient : ILinkClient
{
    /// <summary>Reads of a spend request retried on a 5xx or an unreachable Link: 3 more tries, 0.5 s doubling, jittered.</summary>
    private static readonly ResiliencePipeline ReadRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<LinkException>(ex => ex.Retryable
                && ex.Code is not (LinkErrorCodes.PollingTimeout or LinkErrorCodes.RateLimited)),
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(500),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    private readonly LinkCliOptions _options;
    private readonly ICliRunner _runner;
    private readonly TimeProvider _time;

    /// <summary>Creates a client that runs the CLI described by <paramref name="options"/>.</summary>
    /// <param name="options">Executable, auth file, base URLs, timeouts.</param>
    /// <param name="time">Clock for approval deadlines; the system clock when null.</param>
    public LinkCliClient(LinkCliOptions options, TimeProvider? time = null)
        : this(options, new ProcessCliRunner(options ?? throw new ArgumentNullException(nameof(options))), time)
    {
    }

    internal LinkCliClient(LinkCliOptions options, ICliRunner runner, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ExecutablePath, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CallTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PollRound, TimeSpan.FromSeconds(1), nameof(options));
        _options = options;
        _runner = runner;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async Task<AuthStatus> GetAuthStatusAsync(CancellationToken cancellationToken) =>
        CliJson.AuthStatus(CliJson.Last(await RunAsync(["auth", "status"], cancellationToken)));

    /// <inheritdoc />
    public async Task<IReadOnlyList<PaymentMethod>> ListPaymentMethodsAsync(CancellationToken cancellationToken) =>
        CliJson.List(await RunAsync(["payment-methods", "list"], cancellationToken), CliJson.PaymentMethod);

    /// <inheritdoc />
    public async Task<IReadOnlyList<ShippingAddress>> ListShippingAddressesAsync(CancellationToken cancellationToken) =>
        CliJson.List(await RunAsync(["shipping-address", "list"], cancellationToken), CliJson.ShippingAddress);

    /// <inheritdoc />
    public async Task<UserInfo> GetUserInfoAsync(CancellationToken cancellationToken) =>
        CliJson.UserInfo(await RunAsync(["user-info", "retrieve"], cancellationToken));

    /// <inheritdoc />
    public async Task<SpendRequest> CreateSpendRequestAsync(SpendRequestCreateOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        SpendRequestValidator.Validate(options);
        var arguments = new List<string> { "spend-request", "create" };
        Add(arguments, "--payment-method-id", options.PaymentMethodId);
        Add(arguments, "--credential-type", options.CredentialType);
        Add(arguments, "--network-id", options.NetworkId);
        Add(arguments, "--amount", Invariant(options.Amount));
        Add(arguments, "--currency", options.Currency.ToLowerInvariant());
        Add(arguments, "--merchant-name", options.MerchantName);
        Add(arguments, "--merchant-url", options.MerchantUrl);
        Add(arguments, "--context", options.Context);
        AddLineItems(arguments, options.LineItems);
        AddTotals(arguments, options.Totals);
        foreach (var (key, value) in options.Metadata)
        {
            // Keys and values without ',' and keys without ':' are guaranteed by the validator.
            Add(arguments, "--metadata", key + ":" + value);
        }
        if (options.ExpiresAt is { } expiresAt)
        {
            Add(arguments, "--expires-at", Invariant(expiresAt.ToUnixTimeSeconds()));
        }
        if (options.Test)
        {
            arguments.Add("--test");
        }
        if (!options.RequestApproval)
        {
            arguments.Add("--no-request-approval");
        }
        // Agent mode returns at once, even with approval requested: waiting is WaitForApprovalAsync's job.
        return CliJson.SpendRequest(CliJson.Last(await RunAsync(arguments, cancellationToken)));
    }

    /// <inheritdoc />
    public async Task<SpendRequest> RetrieveSpendRequestAsync(string id, CancellationToken cancellationToken)
    {
        RequireId(id);
        return CliJson.SpendRequest(CliJson.Last(await ReadRetry.ExecuteAsync(
            async ct => await RunAsync(["spend-request", "retrieve", id], ct), cancellationToken)));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Runs <c>spend-request retrieve ID --interval S --timeout T --include card --include shared_payment_token
    /// --output-file F</c> in rounds of at most <see cref="LinkCliOptions.PollRound"/>, each bounded by
    /// <paramref name="deadline"/>. A round ending in <c>POLLING_TIMEOUT</c> means "still pending": the same request is
    /// polled again, never a new one created. The card file's directory is made private (0700) first; the CLI
    /// creates the file itself (exclusive, 0600, no symlinks).
    /// </remarks>
    public async Task<SpendRequest> WaitForApprovalAsync(string id, string cardOutputFile, TimeSpan interval, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        RequireId(id);
        ArgumentException.ThrowIfNullOrEmpty(cardOutputFile);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);

        var path = _options.CardDirectory is { } cardDirectory && !Path.IsPathRooted(cardOutputFile)
            ? Path.Combine(CardFile.EnsurePrivateDirectory(cardDirectory), cardOutputFile)
            : Path.GetFullPath(cardOutputFile);
        CardFile.EnsurePrivateDirectory(Path.GetDirectoryName(path)!);

        var seconds = Math.Max(0.1, interval.TotalSeconds);
        string lastStatus = "unknown";
        while (true)
        {
            var remaining = deadline - _time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                throw new LinkException(LinkErrorCodes.PollingTimeout, string.Create(CultureInfo.InvariantCulture,
                    $"Polling stopped before spend request {id} reached a terminal status: deadline {deadline:O} reached; current status is {lastStatus}. The request is still alive: poll it again, do not create a new one."));
            }
            var round = remaining < _options.PollRound ? remaining : _options.PollRound;
            // Whole seconds, at least one: link-cli checks its timeout after each sleep, so a round may run one interval over.
            var timeoutSeconds = Math.Max(1, (long)Math.Floor(round.TotalSeconds));
            string[] arguments =
            [
                "spend-request", "retrieve", id,
                "--interval", Invariant(seconds),
                "--timeout", Invariant(timeoutSeconds),
                "--include", "card",
                "--include", "shared_payment_token",
                "--output-file", path,
            ];
            try
            {
                var output = await ReadRetry.ExecuteAsync(
                    async ct => await RunAsync(arguments, TimeSpan.FromSeconds(timeoutSeconds + seconds) + _options.CallTimeout, ct), cancellationToken);
                var request = CliJson.SpendRequest(CliJson.Last(output));
                if (!request.IsWaiting())
                {
                    return request;
                }
                // A newer link-cli returns when the status changes, also to another waiting one (pending_approval →
                // requires_action with auto_resume): the same request is polled again.
                lastStatus = request.Status.ToWire();
                await Task.Delay(interval, _time, cancellationToken);
            }
            catch (LinkException ex) when (ex.Code == LinkErrorCodes.PollingTimeout)
            {
                lastStatus = StatusIn(ex.Message) ?? lastStatus;
            }
        }
    }

    /// <inheritdoc />
    public async Task<ApprovalLink> RequestApprovalAsync(string id, CancellationToken cancellationToken)
    {
        RequireId(id);
        return CliJson.ApprovalLink(CliJson.Last(await RunAsync(["spend-request", "request-approval", id], cancellationToken)));
    }

    /// <inheritdoc />
    public async Task<SpendRequest> UpdateSpendRequestAsync(string id, SpendRequestUpdate update, CancellationToken cancellationToken)
    {
        RequireId(id);
        ArgumentNullException.ThrowIfNull(update);
        SpendRequestValidator.ValidateUpdate(update);
        var arguments = new List<string> { "spend-request", "update", id };
        Add(arguments, "--payment-method-id", update.PaymentMethodId);
        Add(arguments, "--amount", update.Amount is { } amount ? Invariant(amount) : null);
        Add(arguments, "--currency", update.Currency?.ToLowerInvariant());
        Add(arguments, "--merchant-url", update.MerchantUrl);
        AddLineItems(arguments, update.LineItems ?? []);
        AddTotals(arguments, update.Totals ?? []);
        return CliJson.SpendRequest(await RunAsync(arguments, cancellationToken));
    }

    /// <inheritdoc />
    public async Task<SpendRequest> CancelSpendRequestAsync(string id, CancellationToken cancellationToken)
    {
        RequireId(id);
        return CliJson.SpendRequest(await RunAsync(["spend-request", "cancel", id], cancellationToken));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SpendRequest>> ListSpendRequestsAsync(bool includeHistory, CancellationToken cancellationToken)
    {
        List<string> arguments = includeHistory ? ["spend-request", "list", "--include-history"] : ["spend-request", "list"];
        return CliJson.List(await RunAsync(arguments, cancellationToken), CliJson.SpendRequest);
    }

    /// <inheritdoc />
    public async Task<MppPaymentResult> PayMppAsync(MppPaymentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Url.IsAbsoluteUri || (request.Url.Scheme != Uri.UriSchemeHttp && request.Url.Scheme != Uri.UriSchemeHttps))
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, $"url must be an absolute http or https URL; got '{request.Url}'.", "url");
        }
        if (string.IsNullOrWhiteSpace(request.SpendRequestId) || !request.SpendRequestId.StartsWith("lsrq_", StringComparison.Ordinal))
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, $"spend_request_id must be a spend request id (lsrq_…); got '{request.SpendRequestId}'.", "spend_request_id");
        }
        if (string.IsNullOrWhiteSpace(request.Method) || !request.Method.All(char.IsAsciiLetter))
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, $"method must be an HTTP method such as GET or POST; got '{request.Method}'.", "method");
        }
        var arguments = new List<string> { "mpp", "pay", request.Url.AbsoluteUri, "--spend-request-id", request.SpendRequestId, "--method", request.Method.ToUpperInvariant() };
        Add(arguments, "--data", request.Body);
        foreach (var (name, value) in request.Headers)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Any(c => c == ':' || char.IsWhiteSpace(c) || char.IsControl(c)) || value.Any(c => c is '\r' or '\n'))
            {
                throw new LinkException(LinkErrorCodes.InvalidRequest, $"header '{name}' must be a token name without ':' or spaces, with a one-line value.", "headers");
            }
            Add(arguments, "--header", name + ": " + value);
        }
        return CliJson.MppPaymentResult(CliJson.Last(await RunAsync(arguments, cancellationToken)));
    }

    /// <inheritdoc />
    public async Task<ObservationReceipt> ReportAsync(AgentObservation observation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(observation);
        SpendRequestValidator.ValidateObservation(observation);
        var arguments = new List<string>
        {
            "report", "--domain", observation.Domain, "--outcome", observation.Outcome, "--spend-request-id", observation.SpendRequestId,
        };
        foreach (var tag in observation.Tags ?? [])
        {
            Add(arguments, "--tag", tag);
        }
        Add(arguments, "--step", observation.Step);
        Add(arguments, "--freeform-context", observation.FreeformContext);
        return CliJson.ObservationReceipt(await RunAsync(arguments, cancellationToken));
    }

    /// <inheritdoc />
    public async Task<TransactionPage> ListTransactionsAsync(TransactionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is { } limit && limit is < 1 or > 100)
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, Invariant($"limit must be from 1 to 100; got {limit}."), "limit");
        }
        if (query.Origin is not (null or "link" or "external_connection"))
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, $"origin must be link or external_connection; got '{query.Origin}'.", "origin");
        }
        var arguments = new List<string> { "transactions", "list" };
        Add(arguments, "--limit", query.Limit is { } l ? Invariant(l) : null);
        Add(arguments, "--starting-after", query.StartingAfter);
        Add(arguments, "--ending-before", query.EndingBefore);
        Add(arguments, "--start-date", query.DateStart?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add(arguments, "--end-date", query.DateEnd?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add(arguments, "--category", query.Category);
        Add(arguments, "--origin", query.Origin);
        return CliJson.TransactionPage(await RunAsync(arguments, cancellationToken));
    }

    private Task<JsonElement> RunAsync(IReadOnlyList<string> command, CancellationToken cancellationToken) =>
        RunAsync(command, _options.CallTimeout, cancellationToken);

    private async Task<JsonElement> RunAsync(IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var arguments = new List<string>(command.Count + 4);
        arguments.AddRange(command);
        for (var i = 0; i < command.Count; i++)
        {
            var argument = command[i];
            // The arguments of a process are visible to every user on the machine (ps, /proc): never a card number there.
            // The card file path is ours (a temp or data directory whose name may hold long digit runs, e.g. a GUID).
            var isPath = i > 0 && command[i - 1] == "--output-file";
            if (!isPath && CardNumberMasker.Mask(argument) != argument)
            {
                throw new LinkException(LinkErrorCodes.InvalidRequest,
                    $"An argument for '{command[0]} {command[1]}' holds what looks like a card number; card data is never passed to link-cli.");
            }
        }
        arguments.Add("--format");
        arguments.Add("json");
        if (_options.AuthFile is not null)
        {
            arguments.Add("--auth");
            arguments.Add(_options.AuthFile);
        }

        var run = await _runner.RunAsync(arguments, timeout, cancellationToken);
        var name = command[0] + " " + (command.Count > 1 && !command[1].StartsWith('-') ? command[1] : "");
        var parsed = ParseJson(run.Stdout);
        if (run.ExitCode == 0)
        {
            if (parsed is not { } output)
            {
                throw new LinkException(LinkErrorCodes.Unknown, $"link-cli {name.Trim()} succeeded but printed no JSON: {Excerpt(run.Stdout)}");
            }
            return output;
        }
        if (run.ExitCode == 1 && parsed is { ValueKind: JsonValueKind.Object } error
            && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String)
        {
            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() ?? "" : "";
            var refined = Refine(code.GetString()!, message);
            var duplicate = DuplicateIn().Match(message);
            throw new LinkException(duplicate.Success ? LinkErrorCodes.RateLimited : refined, CardNumberMasker.Mask(message))
            {
                DuplicateSpendRequestId = duplicate.Success ? duplicate.Groups["id"].Value : null,
                Retryable = duplicate.Success || refined == LinkErrorCodes.RateLimited
                    || (error.TryGetProperty("retryable", out var r) && r.ValueKind == JsonValueKind.True)
                    || ServerFailure().IsMatch(message),
            };
        }
        throw new LinkException(LinkErrorCodes.CliUnavailable, Invariant(
            $"link-cli {name.Trim()} failed with exit code {run.ExitCode} and no error JSON. stderr: {Excerpt(run.Stderr)} stdout: {Excerpt(run.Stdout)}"));
    }

    // link-cli's message for a create refused with error.duplicate_spend_request (link-api.md §7.2).
    [GeneratedRegex(@"A matching spend request already exists: (?<id>lsrq_[A-Za-z0-9_]+)", RegexOptions.CultureInvariant)]
    private static partial Regex DuplicateIn();

    // "Failed to <op> (5xx): …" (the server failed) or "Request failed: <METHOD> <url>" (it could not be reached).
    [GeneratedRegex(@"^(Failed to [^(]+\(5\d\d\): |Request failed: )", RegexOptions.CultureInvariant)]
    private static partial Regex ServerFailure();

    private static string Refine(string code, string message)
    {
        if (code == LinkErrorCodes.OutputFileWriteError && message.StartsWith(CardFile.OutputFileSymlink, StringComparison.Ordinal))
        {
            return CardFile.OutputFileSymlink;
        }
        if (code != LinkErrorCodes.Unknown)
        {
            return code;
        }
        if (message.StartsWith("Not authenticated", StringComparison.Ordinal)
            || message.StartsWith("Token refresh failed", StringComparison.Ordinal)
            || message.StartsWith("Access token expired", StringComparison.Ordinal)
            || (message.StartsWith("Failed to ", StringComparison.Ordinal) && message.Contains(" (401): ", StringComparison.Ordinal)))
        {
            return LinkErrorCodes.NotAuthenticated;
        }
        if (message.StartsWith("Failed to ", StringComparison.Ordinal) && message.Contains("spend request (404): ", StringComparison.Ordinal))
        {
            return LinkErrorCodes.NotFound;
        }
        return code;
    }

    private static JsonElement? ParseJson(string stdout)
    {
        var text = stdout.Trim();
        // Anything printed before the JSON (an update notice despite NO_UPDATE_NOTIFIER) is skipped.
        var start = text.IndexOfAny(['{', '[']);
        if (start < 0)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(text[start..]);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Excerpt(string text)
    {
        var trimmed = text.Trim();
        var masked = CardNumberMasker.Mask(trimmed.Length > 500 ? trimmed[..500] + "…" : trimmed);
        return masked.Length == 0 ? "(empty)" : masked;
    }

    private static string? StatusIn(string message)
    {
        const string marker = "current status is ";
        var at = message.LastIndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : message[(at + marker.Length)..].TrimEnd('.', ' ');
    }

    private static void AddLineItems(List<string> arguments, IReadOnlyList<LineItem> items)
    {
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var pairs = new List<string>
            {
                Pair(i, "name", item.Name),
                "quantity:" + Invariant(item.Quantity),
                "unit_amount:" + Invariant(item.UnitAmount),
            };
            AddPair(pairs, i, "product_url", item.ProductUrl);
            AddPair(pairs, i, "url", item.Url);
            AddPair(pairs, i, "image_url", item.ImageUrl);
            AddPair(pairs, i, "description", item.Description);
            AddPair(pairs, i, "sku", item.Sku);
            arguments.Add("--line-item");
            arguments.Add(string.Join(',', pairs));
        }
    }

    private static void AddTotals(List<string> arguments, IReadOnlyList<Total> totals)
    {
        for (var i = 0; i < totals.Count; i++)
        {
            var total = totals[i];
            arguments.Add("--total");
            arguments.Add(string.Join(',', "type:" + total.Type, "display_text:" + FieldValue(Invariant($"totals[{i}].display_text"), total.DisplayText),
                "amount:" + Invariant(total.Amount)));
        }
    }

    private static void AddPair(List<string> pairs, int index, string key, string? value)
    {
        if (value is not null)
        {
            pairs.Add(Pair(index, key, value));
        }
    }

    private static string Pair(int index, string key, string value) => key + ":" + FieldValue(Invariant($"line_items[{index}].{key}"), value);

    // link-cli splits --line-item/--total on ',' and trims each value: such text cannot pass through it unchanged.
    private static string FieldValue(string field, string value)
    {
        if (value.Contains(',', StringComparison.Ordinal) || value.Trim().Length != value.Length)
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest,
                $"{field} must not contain ',' or start or end with spaces: link-cli's key:value flags cannot carry them; got '{value}'.", field);
        }
        return value;
    }

    private static void Add(List<string> arguments, string flag, string? value)
    {
        if (value is not null)
        {
            arguments.Add(flag);
            arguments.Add(value);
        }
    }

    private static void RequireId(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        if (id.StartsWith('-'))
        {
            throw new LinkException(LinkErrorCodes.InvalidRequest, $"'{id}' is not a spend request id.", "id");
        }
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
