namespace CheckoutAgent.DemoMerchant.Tests;

/// <summary>
/// What the plain-HTTP shop tests share: the shops and HTTP clients a test starts are stopped after it, clients first.
/// </summary>
public abstract class HttpShopTest
{
    private readonly List<IAsyncDisposable> _shops = [];
    private readonly List<HttpClient> _clients = [];

    /// <summary>Stops <paramref name="shop"/> after the test.</summary>
    protected T Track<T>(T shop) where T : IAsyncDisposable
    {
        _shops.Add(shop);
        return shop;
    }

    /// <summary>Disposes <paramref name="client"/> after the test.</summary>
    protected HttpClient Track(HttpClient client)
    {
        _clients.Add(client);
        return client;
    }

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        _clients.Clear();
        foreach (var shop in _shops)
        {
            await shop.DisposeAsync();
        }
        _shops.Clear();
    }
}
