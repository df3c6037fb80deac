using CheckoutAgent.Link;
using CheckoutAgent.Link.Cards;

namespace CheckoutAgent.Tests.LinkClient;

internal static class TestData
{
    public const string MerchantUrl = "https://shop.example/checkout";

    // 100+ characters, like a real context the person would read on their phone.
    public const string Context =
        "Buying one 'Blue Widget' (size M) from Shop Example for Jane, who asked for it in chat today; shipping to the address on file.";

    public static SpendRequestCreateOptions Card(long amount = 2500, bool requestApproval = true, string merchantUrl = MerchantUrl) => new()
    {
        Amount = amount,
        Currency = "usd",
        MerchantName = "Shop Example",
        MerchantUrl = merchantUrl,
        Context = Context,
        LineItems = [new LineItem("Blue Widget", 1, amount)],
        Totals = [new Total("total", "Total", amount)],
        RequestApproval = requestApproval,
    };

    public static SpendRequestCreateOptions SharedPaymentToken() => new()
    {
        CredentialType = "shared_payment_token",
        NetworkId = "net_sandbox",
        Amount = 100,
        Context = Context,
    };

    public static CardSecret Secret(string number = "4000056655665556", string cvc = "987") =>
        new(number, cvc, 4, 2028, "visa", "Jane Doe", new DateTimeOffset(2026, 5, 1, 12, 30, 0, TimeSpan.Zero));

    public static CardFileContent Content(CardSecret? secret = null) => new()
    {
        SpendRequestId = "lsrq_test",
        MerchantName = "Shop Example",
        MerchantUrl = MerchantUrl,
        Context = Context,
        CreatedAt = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero),
        Card = secret ?? Secret(),
        BillingAddress = new CardBillingAddress("Jane Doe", "123 Sandbox Street", "San Francisco", "CA", "94103", "US"),
    };
}

/// <summary>A fresh 0700 directory under the system temp dir, removed with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = CardFile.EnsurePrivateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "linkclient-tests-" + Guid.NewGuid().ToString("N")));
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir must not fail the test that created it.
        }
    }
}
