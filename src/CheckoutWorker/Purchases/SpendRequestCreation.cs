using CheckoutAgent.Link;
using Polly;
using Polly.Retry;

namespace CheckoutAgent.Worker.Purchases;

/// <summary>
/// Creates a purchase's one spend request. The request carries the purchase id in its metadata, so Link's answer to
/// a repeat (HTTP 429 naming the open duplicate) can be recognised as this purchase's own request, created by an
/// earlier run that stopped before recording it: that request is adopted, never a second one made. Any other 429 (a
/// duplicate of another purchase, too many created this hour) is waited out and the same create repeated, a few
/// times, before the purchase ends <c>link_rate_limited</c>.
/// </summary>
internal static class SpendRequestCreation
{
    /// <summary>The metadata key holding the purchase id.</summary>
    public const string PurchaseKey = "checkout_agent_purchase";

    /// <summary>How many times a rate-limited create is repeated, and the first wait (doubling, jittered).</summary>
    public const int RateLimitRetries = 4;

    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(1);

    public static async Task<SpendRequest> CreateAsync(ILinkClient link, string purchaseId, SpendRequestCreateOptions options,
        TimeProvider time, Func<string, Task> onRetry, CancellationToken cancellationToken)
    {
        var tagged = new SpendRequestCreateOptions
        {
            PaymentMethodId = options.PaymentMethodId, CredentialType = options.CredentialType, Amount = options.Amount,
            Currency = options.Currency, MerchantName = options.MerchantName, MerchantUrl = options.MerchantUrl,
            NetworkId = options.NetworkId, Context = options.Context, LineItems = options.LineItems, Totals = options.Totals,
            RequestApproval = options.RequestApproval, Test = options.Test, ExpiresAt = options.ExpiresAt,
            Metadata = new Dictionary<string, string>(options.Metadata) { [PurchaseKey] = purchaseId },
        };
        var retry = new ResiliencePipelineBuilder<SpendRequest> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<SpendRequest>
            {
                ShouldHandle = new PredicateBuilder<SpendRequest>().Handle<LinkException>(ex => ex.Code == LinkErrorCodes.RateLimited),
                MaxRetryAttempts = RateLimitRetries,
                Delay = FirstWait,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args => new ValueTask(onRetry(
                    $"Link refused the spend request for a rate limit ({args.Outcome.Exception?.Message}); the same request is asked again in {args.RetryDelay.TotalSeconds:0.#}s")),
            })
            .Build();
        return await retry.ExecuteAsync(async ct =>
        {
            try
            {
                return await link.CreateSpendRequestAsync(tagged, ct);
            }
            catch (LinkException ex) when (ex.DuplicateSpendRequestId is { } duplicateId)
            {
                var duplicate = await link.RetrieveSpendRequestAsync(duplicateId, ct);
                if (duplicate.Metadata.TryGetValue(PurchaseKey, out var owner) && owner == purchaseId)
                {
                    return duplicate;
                }
                throw;
            }
        }, cancellationToken);
    }
}
