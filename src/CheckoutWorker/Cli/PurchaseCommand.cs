using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CheckoutAgent.Worker.Client;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Worker.Cli;

/// <summary>
/// <c>checkout-agent purchase create|get|list|cancel|reconcile</c>: a client of a running <c>serve</c> through its HTTP API, with
/// an agent's token, for people and scripts. Nothing here touches the database.
/// </summary>
internal static class PurchaseCommand
{
    private const string ItemFormat = "NAME|QTY|UNIT_CENTS[|PRODUCT_URL]";

    public static Command Create()
    {
        var options = new ClientOptions();
        var command = new Command("purchase",
            "Queue, follow, list, cancel and reconcile purchases on a running 'checkout-agent serve' through its HTTP API, with an agent token " +
            $"(--token or ${CheckoutApiClient.TokenVariable}). Exit codes: 0 ok, 2 refused (bad arguments or 4xx), 3 server unreachable or 5xx.")
        {
            CreateVerb(options), Get(options), List(options), Cancel(options), Reconcile(options),
        };
        options.AddTo(command);
        return command;
    }

    private static Command CreateVerb(ClientOptions options)
    {
        var body = new Option<string?>("--body")
        {
            Description = "The purchase as a JSON file (the POST /v1/purchases body); '-' reads stdin. Instead of the options below.",
            HelpName = "FILE.json",
        };
        var recipe = new Option<string?>("--recipe") { Description = "Recipe name, e.g. demo-shop ('checkout-agent recipe list' or GET /v1/recipes).", HelpName = "NAME" };
        var merchantUrl = new Option<string?>("--merchant-url") { Description = "The shop's URL, when the recipe serves several.", HelpName = "URL" };
        var items = new Option<string[]>("--item")
        {
            Description = $"An item, repeatable: \"{ItemFormat}\", e.g. \"Pour-over dripper|1|2400\".",
            HelpName = ItemFormat,
            AllowMultipleArgumentsPerToken = false,
        };
        var amount = new Option<long?>("--amount") { Description = "The most the person approves, in cents (covers items, shipping and tax).", HelpName = "CENTS" };
        var currency = new Option<string?>("--currency") { Description = "3-letter currency code (the server defaults to usd).", HelpName = "CODE" };
        var context = new Option<string?>("--context")
        {
            Description = "Why this purchase, in 100 to 2000 characters: the person reads it when approving in Link.",
            HelpName = "TEXT",
        };
        var buyer = new Option<string?>("--buyer") { Description = "'wallet' to use the Link wallet's buyer details instead of --buyer-*.", HelpName = "wallet" };
        var buyerEmail = new Option<string?>("--buyer-email") { Description = "Buyer's email.", HelpName = "EMAIL" };
        var buyerName = new Option<string?>("--buyer-name") { Description = "Buyer's full name.", HelpName = "NAME" };
        var buyerPhone = new Option<string?>("--buyer-phone") { Description = "Buyer's phone (optional).", HelpName = "PHONE" };
        var shipping = new Option<string?>("--shipping") { Description = "'wallet' to ship to the Link wallet's address instead of --ship-*.", HelpName = "wallet" };
        var shipName = new Option<string?>("--ship-name") { Description = "Recipient's name.", HelpName = "NAME" };
        var shipLine1 = new Option<string?>("--ship-line1") { Description = "Street address.", HelpName = "TEXT" };
        var shipLine2 = new Option<string?>("--ship-line2") { Description = "Apartment, suite (optional).", HelpName = "TEXT" };
        var shipCity = new Option<string?>("--ship-city") { Description = "City.", HelpName = "CITY" };
        var shipState = new Option<string?>("--ship-state") { Description = "State or region (optional).", HelpName = "STATE" };
        var shipPostalCode = new Option<string?>("--ship-postal-code") { Description = "Postal code.", HelpName = "CODE" };
        var shipCountry = new Option<string?>("--ship-country") { Description = "2-letter country code, e.g. US.", HelpName = "CC" };
        var callbackUrl = new Option<string?>("--callback-url") { Description = "Webhook URL told of the outcome (https, or http on loopback).", HelpName = "URL" };
        var metadata = new Option<string[]>("--metadata") { Description = "Your own key=value data kept with the purchase, repeatable.", HelpName = "KEY=VALUE" };
        var key = new Option<string?>("--idempotency-key")
        {
            Description = "Makes retries safe: the same key and body return the first purchase instead of buying twice. " +
                          "Default: a new UUID, printed so a retry can reuse it.",
            HelpName = "KEY",
        };
        var command = new Command("create",
            "Queue a purchase: give --body FILE.json, or the purchase as options. Prints the purchase and its idempotency key; " +
            "run again with the same --idempotency-key to retry without buying twice.")
        {
            body, recipe, merchantUrl, items, amount, currency, context, buyer, buyerEmail, buyerName, buyerPhone,
            shipping, shipName, shipLine1, shipLine2, shipCity, shipState, shipPostalCode, shipCountry, callbackUrl, metadata, key,
        };
        Option[] bodyOptions =
        [
            recipe, merchantUrl, items, amount, currency, context, buyer, buyerEmail, buyerName, buyerPhone,
            shipping, shipName, shipLine1, shipLine2, shipCity, shipState, shipPostalCode, shipCountry, callbackUrl, metadata,
        ];
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var parse = client.Parse;
            JsonElement purchase;
            if (parse.GetValue(body) is { } file)
            {
                if (bodyOptions.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } extra)
                {
                    throw new UsageException($"give either --body or the purchase options, not both ({extra.Name} with --body)");
                }
                purchase = await ClientOptions.ReadJsonFileAsync(file, "--body", cancellationToken);
            }
            else
            {
                if (bodyOptions.All(o => parse.GetResult(o) is null or { Implicit: true }))
                {
                    throw new UsageException("give the purchase: --body FILE.json, or options such as --recipe, --item, --amount, --context, --buyer-*, --ship-* (see --help)");
                }
                var json = new JsonObject();
                void Put(string name, string? value)
                {
                    if (value is not null)
                    {
                        json[name] = value;
                    }
                }
                Put("recipe", parse.GetValue(recipe));
                Put("merchant_url", parse.GetValue(merchantUrl));
                if (parse.GetValue(items) is { Length: > 0 } itemTexts)
                {
                    json["items"] = new JsonArray(itemTexts.Select(Item).ToArray<JsonNode?>());
                }
                if (parse.GetValue(amount) is { } cents)
                {
                    json["amount"] = cents;
                }
                Put("currency", parse.GetValue(currency));
                Put("context", parse.GetValue(context));
                json["buyer"] = Party("--buyer", parse.GetValue(buyer),
                    [("email", "--buyer-email", parse.GetValue(buyerEmail)), ("name", "--buyer-name", parse.GetValue(buyerName)), ("phone", "--buyer-phone", parse.GetValue(buyerPhone))]);
                json["shipping"] = Party("--shipping", parse.GetValue(shipping),
                [
                    ("name", "--ship-name", parse.GetValue(shipName)), ("line1", "--ship-line1", parse.GetValue(shipLine1)),
                    ("line2", "--ship-line2", parse.GetValue(shipLine2)), ("city", "--ship-city", parse.GetValue(shipCity)),
                    ("state", "--ship-state", parse.GetValue(shipState)), ("postal_code", "--ship-postal-code", parse.GetValue(shipPostalCode)),
                    ("country", "--ship-country", parse.GetValue(shipCountry)),
                ]);
                Put("callback_url", parse.GetValue(callbackUrl));
                if (parse.GetValue(metadata) is { Length: > 0 } pairs)
                {
                    var values = new JsonObject();
                    foreach (var pair in pairs)
                    {
                        var split = pair.Split('=', 2);
                        if (split.Length != 2 || split[0].Length == 0)
                        {
                            throw new UsageException($"--metadata: give KEY=VALUE, e.g. ticket=42; got '{pair}'");
                        }
                        values[split[0]] = split[1];
                    }
                    json["metadata"] = values;
                }
                foreach (var name in json.Where(p => p.Value is null).Select(p => p.Key).ToList())
                {
                    json.Remove(name);
                }
                purchase = JsonSerializer.SerializeToElement(json);
            }
            var idempotencyKey = parse.GetValue(key) is { Length: > 0 } givenKey ? givenKey : Guid.NewGuid().ToString();
            var created = await client.Api.CreatePurchaseAsync(purchase, idempotencyKey, cancellationToken);
            if (client.Json)
            {
                // stdout stays pure JSON; the key a retry needs goes to stderr.
                await client.Error.WriteLineAsync($"idempotency key: {idempotencyKey}{(created.Replayed ? " (replayed: the first response for this key, nothing new was queued)" : "")}");
                client.WriteJson(created.Purchase);
                return ClientExitCodes.Ok;
            }
            var id = ClientOptions.Text(created.Purchase, "id");
            await client.Out.WriteLineAsync(created.Replayed
                ? $"replayed: this idempotency key was already used with the same body; purchase {id} is the one it created, nothing new was queued"
                : $"queued purchase {id}");
            WritePurchase(client.Out, created.Purchase);
            await client.Out.WriteLineAsync($"idempotency key: {idempotencyKey}   (to retry safely: --idempotency-key {idempotencyKey})");
            await client.Out.WriteLineAsync($"follow it: checkout-agent purchase get {id} --watch");
            return ClientExitCodes.Ok;
        });
        return command;
    }

    private static Command Get(ClientOptions options)
    {
        var id = new Argument<string>("ID") { Description = "The purchase id (pur_…)." };
        var watch = new Option<bool>("--watch")
        {
            Description = "Follow the timeline, printing events as they happen, until the purchase ends. Exit code 0 when it succeeded, 1 otherwise.",
        };
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between polls with --watch (default 1).",
            DefaultValueFactory = _ => 1,
            HelpName = "SECONDS",
        };
        interval.InRange(0.05, 300.0, "--interval must be between 0.05 and 300 seconds.");
        var command = new Command("get", "Show a purchase with its timeline; --watch follows it to the end.") { id, watch, interval };
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var purchaseId = client.Parse.GetValue(id)!;
            var purchase = await client.Api.GetPurchaseAsync(purchaseId, cancellationToken);
            if (!client.Parse.GetValue(watch))
            {
                if (client.Json)
                {
                    client.WriteJson(purchase);
                }
                else
                {
                    WritePurchase(client.Out, purchase);
                    WriteTimeline(client.Out, purchase, 0);
                }
                return ClientExitCodes.Ok;
            }
            var delay = TimeSpan.FromSeconds(client.Parse.GetValue(interval));
            var shown = 0;
            if (!client.Json)
            {
                WritePurchase(client.Out, purchase);
                await client.Out.WriteLineAsync("timeline:");
            }
            while (true)
            {
                if (!client.Json)
                {
                    shown = WriteTimeline(client.Out, purchase, shown, header: false);
                    await client.Out.FlushAsync(cancellationToken);
                }
                var status = ClientOptions.Text(purchase, "status") ?? "";
                if (PurchaseStatus.IsTerminal(status))
                {
                    if (client.Json)
                    {
                        client.WriteJson(purchase);
                    }
                    else
                    {
                        await client.Out.WriteLineAsync($"ended: {status}{Outcome(purchase)}");
                    }
                    return status == PurchaseStatus.Succeeded ? ClientExitCodes.Ok : ClientExitCodes.NotSucceeded;
                }
                await Task.Delay(delay, cancellationToken);
                purchase = await client.Api.GetPurchaseAsync(purchaseId, cancellationToken);
            }
        });
        return command;
    }

    private static Command List(ClientOptions options)
    {
        var status = new Option<string?>("--status")
        {
            Description = "Only this status: queued, awaiting_approval, checking_out, submitting, succeeded, failed, outcome_unknown.",
            HelpName = "STATUS",
        };
        var recipe = new Option<string?>("--recipe") { Description = "Only this recipe.", HelpName = "NAME" };
        var schedule = new Option<string?>("--schedule") { Description = "Only purchases created by this schedule (sch_…).", HelpName = "ID" };
        var limit = new Option<int?>("--limit") { Description = "How many, 1 to 100 (default 20).", HelpName = "N" };
        var startingAfter = new Option<string?>("--starting-after") { Description = "Next page: the last id of the previous page.", HelpName = "ID" };
        var command = new Command("list", "This agent's purchases, newest first, one per line.") { status, recipe, schedule, limit, startingAfter };
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var parse = client.Parse;
            var page = await client.Api.ListPurchasesAsync(new PurchaseListQuery
            {
                Status = parse.GetValue(status), Recipe = parse.GetValue(recipe), ScheduleId = parse.GetValue(schedule),
                Limit = parse.GetValue(limit), StartingAfter = parse.GetValue(startingAfter),
            }, cancellationToken);
            if (client.Json)
            {
                client.WriteJson(page);
                return ClientExitCodes.Ok;
            }
            var rows = page.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array ? data.EnumerateArray().ToList() : [];
            if (rows.Count == 0)
            {
                await client.Out.WriteLineAsync(parse.GetValue(startingAfter) is null ? "no purchases" : "no more purchases");
                return ClientExitCodes.Ok;
            }
            await client.Out.WriteLineAsync($"{"ID",-30} {"STATUS",-18} {"RECIPE",-16} {"AMOUNT",12} {"CREATED",-20} ITEMS");
            foreach (var row in rows)
            {
                await client.Out.WriteLineAsync(
                    $"{ClientOptions.Text(row, "id"),-30} {ClientOptions.Text(row, "status"),-18} {ClientOptions.Text(row, "recipe"),-16} " +
                    $"{Amount(row),12} {ClientOptions.Time(row, "created_at"),-20} {Items(row)}");
            }
            if (page.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True)
            {
                var filters = string.Concat(new (string, string?)[]
                {
                    ("--status", parse.GetValue(status)), ("--recipe", parse.GetValue(recipe)), ("--schedule", parse.GetValue(schedule)),
                    ("--limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture)),
                }.Where(f => f.Item2 is not null).Select(f => $" {f.Item1} {f.Item2}"));
                await client.Out.WriteLineAsync($"more: checkout-agent purchase list{filters} --starting-after {ClientOptions.Text(rows[^1], "id")}");
            }
            return ClientExitCodes.Ok;
        });
        return command;
    }

    private static Command Cancel(ClientOptions options)
    {
        var id = new Argument<string>("ID") { Description = "The purchase id (pur_…)." };
        var command = new Command("cancel",
            "Cancel a purchase before its final click (its Link spend request is canceled too). Refused once it is submitting or ended.")
        {
            id,
        };
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var purchase = await client.Api.CancelPurchaseAsync(client.Parse.GetValue(id)!, cancellationToken);
            if (client.Json)
            {
                client.WriteJson(purchase);
                return ClientExitCodes.Ok;
            }
            await client.Out.WriteLineAsync($"canceled purchase {ClientOptions.Text(purchase, "id")}: now {ClientOptions.Text(purchase, "status")}{Outcome(purchase)}");
            return ClientExitCodes.Ok;
        });
        return command;
    }

    private static Command Reconcile(ClientOptions options)
    {
        var id = new Argument<string>("ID") { Description = "The outcome_unknown purchase (pur_…)." };
        var orderExists = new Option<string?>("--order-exists")
        {
            Description = "The merchant has an order for it: its order number. The purchase ends succeeded.",
            HelpName = "ORDER_NUMBER",
        };
        var noOrder = new Option<bool>("--no-order") { Description = "The merchant has no order for it. The purchase ends failed (reconciled_no_order)." };
        var command = new Command("reconcile",
            "Settle an outcome_unknown purchase (the final click happened, the merchant's answer never came) after checking with the " +
            "merchant: --order-exists ORDER_NUMBER or --no-order. Needs a token with the admin scope. The timeline records which agent " +
            "decided and when, the purchase's webhook is sent and Link is told. Running it again the same way changes nothing; " +
            "another decision is refused (409), as is a purchase that is not outcome_unknown.")
        {
            id, orderExists, noOrder,
        };
        options.SetAction(command, async (client, cancellationToken) =>
        {
            var order = client.Parse.GetValue(orderExists);
            var none = client.Parse.GetValue(noOrder);
            if ((order is null) == !none)
            {
                throw new UsageException("give exactly one of --order-exists ORDER_NUMBER (the merchant has the order) or --no-order (it has none)");
            }
            var decision = none ? ReconcileDecisions.NoOrder : ReconcileDecisions.OrderExists;
            if (PurchaseReconcile.Validate(decision, order) is { } problem)
            {
                throw new UsageException($"--order-exists: {problem}");
            }
            var (purchase, replayed) = await client.Api.ReconcilePurchaseAsync(client.Parse.GetValue(id)!, decision, order, cancellationToken);
            if (client.Json)
            {
                client.WriteJson(purchase);
                return ClientExitCodes.Ok;
            }
            await client.Out.WriteLineAsync($"{(replayed ? "already reconciled" : "reconciled")} purchase {ClientOptions.Text(purchase, "id")}: now {ClientOptions.Text(purchase, "status")}{Outcome(purchase)}");
            return ClientExitCodes.Ok;
        });
        return command;
    }

    // ---- building the body ----

    private static JsonObject Item(string text)
    {
        var parts = text.Split('|');
        if (parts.Length is < 3 or > 4 || parts[0].Trim().Length == 0
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var quantity)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var unit))
        {
            throw new UsageException($"--item: give \"{ItemFormat}\" with whole numbers, e.g. \"Pour-over dripper|1|2400\"; got '{text}'");
        }
        var item = new JsonObject { ["name"] = parts[0].Trim(), ["quantity"] = quantity, ["unit_amount"] = unit };
        if (parts.Length == 4 && parts[3].Trim().Length > 0)
        {
            item["product_url"] = parts[3].Trim();
        }
        return item;
    }

    /// <summary>The buyer or shipping value: "wallet", an object of the given fields, or null when neither is given.</summary>
    private static JsonNode? Party(string walletOption, string? wallet, (string Field, string Option, string? Value)[] fields)
    {
        var given = fields.Where(f => f.Value is not null).ToList();
        if (wallet is not null)
        {
            if (wallet != PurchaseView.Wallet)
            {
                throw new UsageException($"{walletOption} takes only 'wallet' (use the Link wallet's details); got '{wallet}'");
            }
            if (given.Count > 0)
            {
                throw new UsageException($"give either {walletOption} wallet or {string.Join(", ", given.Select(f => f.Option))}, not both");
            }
            return PurchaseView.Wallet;
        }
        if (given.Count == 0)
        {
            return null;
        }
        var json = new JsonObject();
        foreach (var (field, _, value) in given)
        {
            json[field] = value;
        }
        return json;
    }

    // ---- human output ----

    internal static void WritePurchase(TextWriter output, JsonElement purchase)
    {
        output.WriteLine($"purchase {ClientOptions.Text(purchase, "id")}  {ClientOptions.Text(purchase, "status")}");
        output.WriteLine($"  recipe:   {ClientOptions.Text(purchase, "recipe")}{(ClientOptions.Text(purchase, "merchant_url") is { } merchant ? $" ({merchant})" : "")}");
        output.WriteLine($"  amount:   {Amount(purchase)}");
        if (purchase.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            var currency = ClientOptions.Text(purchase, "currency") ?? "usd";
            foreach (var item in items.EnumerateArray())
            {
                output.WriteLine($"  item:     {ClientOptions.Number(item, "quantity") ?? 1} × {ClientOptions.Text(item, "name")} at {Money.Format(ClientOptions.Number(item, "unit_amount") ?? 0, currency)}");
            }
        }
        if (ClientOptions.Text(purchase, "schedule_id") is { } schedule)
        {
            output.WriteLine($"  schedule: {schedule}");
        }
        output.WriteLine($"  created:  {ClientOptions.Time(purchase, "created_at")}");
        if (Outcome(purchase) is { Length: > 0 } outcome)
        {
            output.WriteLine($"  outcome: {outcome.TrimStart(':', ' ')}");
        }
    }

    /// <summary>Prints timeline entries from index <paramref name="from"/>; returns how many there are.</summary>
    private static int WriteTimeline(TextWriter output, JsonElement purchase, int from, bool header = true)
    {
        if (!purchase.TryGetProperty("timeline", out var timeline) || timeline.ValueKind != JsonValueKind.Array)
        {
            return from;
        }
        var entries = timeline.EnumerateArray().ToList();
        if (header && entries.Count > from)
        {
            output.WriteLine("timeline:");
        }
        foreach (var entry in entries.Skip(from))
        {
            var duration = ClientOptions.Number(entry, "duration_ms") is { } ms ? $" ({ms} ms)" : "";
            output.WriteLine($"  {ClientOptions.Time(entry, "at")}  {ClientOptions.Text(entry, "kind"),-20} {ClientOptions.Text(entry, "message")}{duration}");
        }
        return entries.Count;
    }

    private static string Outcome(JsonElement purchase)
    {
        if (!purchase.TryGetProperty("outcome", out var outcome) || outcome.ValueKind != JsonValueKind.Object)
        {
            return "";
        }
        var parts = new List<string>();
        if (ClientOptions.Text(outcome, "code") is { } code)
        {
            parts.Add(code);
        }
        if (ClientOptions.Text(outcome, "order_number") is { } order)
        {
            parts.Add($"order {order}");
        }
        if (ClientOptions.Text(outcome, "charged_total") is { } total)
        {
            parts.Add($"charged {total}");
        }
        if (ClientOptions.Text(outcome, "card_brand") is { } brand)
        {
            parts.Add($"{brand} ····{ClientOptions.Text(outcome, "card_last4")}");
        }
        if (ClientOptions.Text(outcome, "message") is { } message)
        {
            parts.Add(message);
        }
        return parts.Count == 0 ? "" : ": " + string.Join("; ", parts);
    }

    private static string Amount(JsonElement purchase) =>
        ClientOptions.Number(purchase, "amount") is { } cents ? Money.Format(cents, ClientOptions.Text(purchase, "currency") ?? "usd") : "-";

    private static string Items(JsonElement purchase)
    {
        if (!purchase.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return "";
        }
        var list = items.EnumerateArray().ToList();
        var first = list.Count > 0 ? $"{ClientOptions.Number(list[0], "quantity") ?? 1} × {ClientOptions.Text(list[0], "name")}" : "";
        return list.Count > 1 ? $"{first} (+{list.Count - 1} more)" : first;
    }
}
