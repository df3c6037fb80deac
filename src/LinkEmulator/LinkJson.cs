using System.Globalization;
using System.Text.Json.Nodes;
using CheckoutAgent.Link.Sandbox;

namespace CheckoutAgent.Link.Emulator;

/// <summary>Link's response shapes (link-api.md §3, §4), built field by field so the wire contract is visible here.</summary>
internal static class LinkJson
{
    // Funding sources in the sandbox carry no expiry; a fixed far-off one keeps card_details' shape complete.
    private const int FundingCardExpMonth = 12;
    private const int FundingCardExpYear = 2030;

    public static JsonObject Error(string code, string message, string? field = null, JsonObject? duplicate = null)
    {
        var error = new JsonObject { ["message"] = message, ["code"] = code };
        if (field is not null)
        {
            error["field"] = field;
        }
        if (duplicate is not null)
        {
            // link-cli names it in its message ("A matching spend request already exists: …"), link-api.md §7.2.
            error["duplicate_spend_request"] = duplicate;
        }
        return new JsonObject { ["error"] = error };
    }

    /// <summary>The beta <c>GET /sources</c> item for a wallet funding source (link-cli's SDK <c>Source</c>).</summary>
    public static JsonObject Source(PaymentMethod method) => new()
    {
        ["id"] = method.Id,
        ["name"] = method.Nickname,
        ["type"] = method.Type,
        ["capabilities"] = new JsonObject { ["payments"] = true },
        ["external_connection"] = null,
        ["granted_actions"] = new JsonArray("read_balances", "read_link_transactions"),
        ["bank_account"] = null,
        ["card"] = method.Type == "card" ? new JsonObject { ["brand"] = method.Brand, ["last4"] = method.Last4 } : null,
    };

    /// <summary>The beta <c>GET /balances</c> item: a card funding source as credit used, in cents.</summary>
    public static JsonObject Balance(string sourceId, long used, DateTimeOffset asOf) => new()
    {
        ["source_id"] = sourceId,
        ["type"] = "credit",
        ["cash"] = null,
        ["credit"] = new JsonObject { ["used"] = new JsonObject { ["usd"] = used } },
        ["current"] = used,
        ["currency"] = "usd",
        ["as_of"] = Iso(asOf),
    };

    public static JsonObject SpendRequest(SpendRequest request, Uri approvalUrl, SandboxIssuedCard? card, SandboxSharedPaymentToken? token)
    {
        var json = new JsonObject
        {
            ["id"] = request.Id,
            ["object"] = "spend_request",
            ["status"] = request.Status.ToWire(),
            ["amount"] = request.Amount,
            ["currency"] = request.Currency,
            ["credential_type"] = request.CredentialType,
            ["payment_details"] = request.PaymentMethodId,
        };
        AddIfNotNull(json, "merchant_name", request.MerchantName);
        AddIfNotNull(json, "merchant_url", request.MerchantUrl);
        AddIfNotNull(json, "network_id", request.NetworkId);
        json["context"] = request.Context;
        json["line_items"] = new JsonArray([.. request.LineItems.Select(LineItem)]);
        json["totals"] = new JsonArray([.. request.Totals.Select(Total)]);
        json["approval_url"] = approvalUrl.AbsoluteUri;
        AddIfNotNull(json, "card_brand", request.CardBrand);
        AddIfNotNull(json, "card_last4", request.CardLast4);
        json["created_at"] = Iso(request.CreatedAt);
        json["updated_at"] = Iso(request.UpdatedAt ?? request.CreatedAt);
        if (request.ExpiresAt is { } expiresAt)
        {
            json["expires_at"] = expiresAt.ToUnixTimeSeconds();
        }
        var metadata = new JsonObject();
        foreach (var (key, value) in request.Metadata)
        {
            metadata[key] = value;
        }
        json["metadata"] = metadata;
        json["test"] = request.Test;
        json["status_details"] = request.NextAction is { } next
            ? new JsonObject
            {
                ["requires_action"] = new JsonObject
                {
                    ["next_action"] = new JsonObject
                    {
                        ["type"] = next.Type,
                        ["resolution"] = next.Resolution,
                        ["display_message"] = next.DisplayMessage,
                        // The person acts on the approval page (Link: the Link app).
                        ["action_url"] = next.ActionUrl is null ? null : approvalUrl.AbsoluteUri,
                        ["expires_at"] = next.ExpiresAt?.ToUnixTimeSeconds(),
                    },
                },
            }
            : null;
        if (card is not null)
        {
            json["card"] = Card(card);
        }
        if (token is not null)
        {
            json["shared_payment_token"] = new JsonObject { ["id"] = token.Id, ["valid_until"] = Iso(token.ValidUntil) };
        }
        return json;
    }

    private static JsonObject Card(SandboxIssuedCard card)
    {
        // The one sanctioned place for the full card: the response to an explicit include=card, as on Link.
        var address = card.BillingAddress;
        return new JsonObject
        {
            ["id"] = card.Id,
            ["brand"] = card.Brand,
            ["last4"] = card.Last4,
            ["exp_month"] = card.ExpMonth,
            ["exp_year"] = card.ExpYear,
            ["number"] = card.Number,
            ["cvc"] = card.Cvc,
            ["billing_address"] = new JsonObject
            {
                ["name"] = address.Name,
                ["line1"] = address.Line1,
                ["line2"] = null,
                ["city"] = address.City,
                ["state"] = address.State,
                ["postal_code"] = address.PostalCode,
                ["country"] = address.Country,
            },
            ["valid_until"] = Iso(card.ValidUntil),
        };
    }

    public static JsonObject LineItem(LineItem item)
    {
        var json = new JsonObject
        {
            ["name"] = item.Name,
            ["quantity"] = item.Quantity,
            ["unit_amount"] = item.UnitAmount,
        };
        AddIfNotNull(json, "url", item.Url);
        AddIfNotNull(json, "image_url", item.ImageUrl);
        AddIfNotNull(json, "description", item.Description);
        AddIfNotNull(json, "sku", item.Sku);
        AddIfNotNull(json, "product_url", item.ProductUrl);
        return json;
    }

    public static JsonObject Total(Total total) => new()
    {
        ["type"] = total.Type,
        ["display_text"] = total.DisplayText,
        ["amount"] = total.Amount,
    };

    public static JsonObject PaymentMethod(PaymentMethod method)
    {
        var json = new JsonObject
        {
            ["id"] = method.Id,
            ["type"] = method.Type,
            ["is_default"] = method.IsDefault,
        };
        AddIfNotNull(json, "nickname", method.Nickname);
        if (method.Type == "card")
        {
            json["card_details"] = new JsonObject
            {
                ["brand"] = method.Brand,
                ["last4"] = method.Last4,
                ["exp_month"] = FundingCardExpMonth,
                ["exp_year"] = FundingCardExpYear,
            };
        }
        else if (method.Type == "bank_account")
        {
            json["bank_account_details"] = new JsonObject { ["last4"] = method.Last4 };
        }
        return json;
    }

    public static JsonObject ShippingAddress(ShippingAddress address) => new()
    {
        ["id"] = address.Id,
        ["is_default"] = address.IsDefault,
        ["nickname"] = address.Nickname,
        ["address"] = new JsonObject
        {
            ["name"] = address.Address.Name,
            ["line_1"] = address.Address.Line1,
            ["line_2"] = address.Address.Line2,
            ["locality"] = address.Address.Locality,
            ["dependent_locality"] = address.Address.DependentLocality,
            ["administrative_area"] = address.Address.AdministrativeArea,
            ["postal_code"] = address.Address.PostalCode,
            ["sorting_code"] = address.Address.SortingCode,
            ["country_code"] = address.Address.CountryCode,
        },
    };

    public static JsonObject UserInfo(UserInfo info) => new()
    {
        ["email"] = info.Email,
        ["name"] = info.Name,
        ["first_name"] = info.FirstName,
        ["last_name"] = info.LastName,
        ["phone"] = info.Phone,
    };

    public static JsonObject Transaction(Transaction transaction) => new()
    {
        ["id"] = transaction.Id,
        ["source_id"] = transaction.SourceId,
        ["amount"] = transaction.Amount,
        ["currency"] = transaction.Currency,
        ["created_date"] = transaction.CreatedDate,
        ["description"] = transaction.Description,
        ["origin"] = transaction.Origin,
        ["category"] = transaction.Category,
        ["status"] = transaction.Status,
    };

    public static JsonObject ObservationReceipt(ObservationReceipt receipt) => new()
    {
        ["object"] = receipt.ObjectType,
        ["created_at"] = receipt.CreatedAt,
        ["domain"] = receipt.Domain,
        ["outcome"] = receipt.Outcome,
        ["spend_request_id"] = receipt.SpendRequestId,
        ["status"] = receipt.Status,
    };

    public static JsonObject Tokens(SandboxTokenSet tokens) => new()
    {
        ["access_token"] = tokens.AccessToken,
        ["refresh_token"] = tokens.RefreshToken,
        ["token_type"] = tokens.TokenType,
        ["expires_in"] = tokens.ExpiresIn,
        ["scope"] = tokens.Scope,
    };

    public static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static void AddIfNotNull(JsonObject json, string name, string? value)
    {
        if (value is not null)
        {
            json[name] = value;
        }
    }
}
