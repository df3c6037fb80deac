namespace CheckoutAgent.Core.Purchases;

/// <summary>Checks a purchase request before anything is asked of Link. Each problem names the field and the fix.</summary>
public static class PurchaseValidator
{
    public static IReadOnlyList<string> Validate(PurchaseRequest request)
    {
        var errors = new List<string>();
        if (request.Items.Count == 0)
        {
            errors.Add("items: at least one item is required");
        }
        for (var i = 0; i < request.Items.Count; i++)
        {
            var item = request.Items[i];
            if (string.IsNullOrWhiteSpace(item.Name))
            {
                errors.Add($"items[{i}].name: required");
            }
            if (item.Quantity < 1)
            {
                errors.Add($"items[{i}].quantity: must be 1 or more; got {item.Quantity}");
            }
            if (item.UnitAmount < 0)
            {
                errors.Add($"items[{i}].unit_amount: must be 0 or more cents; got {item.UnitAmount}");
            }
            if (item.ProductUrl is not null && !IsHttpUrl(item.ProductUrl))
            {
                errors.Add($"items[{i}].product_url: must be an absolute http or https URL");
            }
        }
        if (request.Amount is < 1 or > 50_000)
        {
            errors.Add($"amount: must be 1 to 50000 cents (Link's cap is $500.00); got {request.Amount}");
        }
        if (request.Currency.Length != 3 || !request.Currency.All(char.IsAsciiLetter))
        {
            errors.Add($"currency: must be a 3-letter ISO code such as usd; got '{request.Currency}'");
        }
        if ((request.Context?.Trim().Length ?? 0) < 100)
        {
            errors.Add($"context: must be at least 100 characters telling the person what is bought and why; got {request.Context?.Trim().Length ?? 0}");
        }
        if (request.MerchantUrl is not null && !IsHttpUrl(request.MerchantUrl))
        {
            errors.Add("merchant_url: must be an absolute http or https URL");
        }
        if (request.Buyer is not null && (string.IsNullOrWhiteSpace(request.Buyer.Email) || !request.Buyer.Email.Contains('@', StringComparison.Ordinal)))
        {
            errors.Add("buyer.email: a valid email address is required");
        }
        return errors;
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}
