using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace CheckoutAgent.Worker.Api;

/// <summary>
/// Requests per second per agent (all its tokens together, so a rotation does not double it), with the rate limiter
/// of the shared framework: one token bucket per agent and limit, holding the policy's
/// <see cref="AgentPolicy.MaxRequestsPerSecond"/> and refilled every second. It runs after authentication, where the
/// agent and its policy are known; a changed limit gets a fresh bucket, and idle ones are dropped by the partitioned
/// limiter. Held in memory: each worker process counts its own requests.
/// </summary>
public sealed class ApiRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Agent> _limiter = PartitionedRateLimiter.Create<Agent, (string, int)>(agent =>
    {
        var limit = agent.Policy.MaxRequestsPerSecond ?? 0;
        return RateLimitPartition.GetTokenBucketLimiter((agent.Id, limit), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = limit,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            // The partitioned limiter replenishes its buckets itself, on one timer.
            AutoReplenishment = false,
        });
    });

    /// <summary>Null when the request may go on; otherwise the 429 to answer, with <c>Retry-After</c> set.</summary>
    public IResult? Check(HttpContext http, Agent agent)
    {
        if (agent.Policy.MaxRequestsPerSecond is not { } limit)
        {
            return null;
        }
        using var lease = _limiter.AttemptAcquire(agent);
        if (lease.IsAcquired)
        {
            return null;
        }
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApiResults.Error(429, new ApiError(ApiErrorCodes.RateLimited,
            $"this agent may make at most {limit} requests a second (its policy's max_requests_per_second) and went over it; " +
            $"retry in {seconds} s (Retry-After), or ask the owner to raise the limit (checkout-agent agent policy {agent.Name} --max-requests-per-second N)",
            "max_requests_per_second"));
    }

    public void Dispose() => _limiter.Dispose();
}
