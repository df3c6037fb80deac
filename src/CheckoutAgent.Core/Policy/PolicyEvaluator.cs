using CheckoutAgent.Core.Agents;
using CheckoutAgent.Core.Purchases;

namespace CheckoutAgent.Core.Policy;

/// <summary>What the policy is decided on: the request, the agent's limits and what the agent already has in the windows.</summary>
/// <param name="SpentToday">Amount of the agent's purchases created this UTC day that have not failed, in the request's currency.</param>
/// <param name="SpentThisMonth">The same for this UTC month.</param>
public sealed record PolicyInput(AgentPolicy Policy, bool Paused, long Amount, string Currency, string MerchantHost, long SpentToday, long SpentThisMonth);

/// <summary>The owner's decision on one purchase and why, as the timeline shows it.</summary>
public sealed record PolicyDecision(bool Allowed, string Rule, string Reason);

/// <summary>The owner's rules, checked before any spend request: global pause, per-purchase maximum, merchant allowlist, daily and monthly budgets.</summary>
public static class PolicyEvaluator
{
    public static PolicyDecision Evaluate(PolicyInput input)
    {
        var policy = input.Policy;
        string M(long cents) => Money.Format(cents, input.Currency);
        if (input.Paused)
        {
            return new(false, "paused", "purchasing is paused by the owner (checkout-agent resume turns it back on)");
        }
        if (policy.MaxPerPurchase is { } max && input.Amount > max)
        {
            return new(false, "max_per_purchase", $"{M(input.Amount)} is over this agent's limit of {M(max)} per purchase");
        }
        if (policy.Merchants is { } allowed && !allowed.Any(pattern => HostMatches(pattern, input.MerchantHost)))
        {
            return new(false, "merchant_not_allowed", $"merchant {input.MerchantHost} is not on this agent's allowlist ({string.Join(", ", allowed)})");
        }
        if (policy.DailyBudget is { } daily && input.SpentToday + input.Amount > daily)
        {
            return new(false, "daily_budget", $"{M(input.Amount)} would bring today's total to {M(input.SpentToday + input.Amount)}, over the daily budget of {M(daily)} ({M(input.SpentToday)} already spent or in flight)");
        }
        if (policy.MonthlyBudget is { } monthly && input.SpentThisMonth + input.Amount > monthly)
        {
            return new(false, "monthly_budget", $"{M(input.Amount)} would bring this month's total to {M(input.SpentThisMonth + input.Amount)}, over the monthly budget of {M(monthly)} ({M(input.SpentThisMonth)} already spent or in flight)");
        }
        var room = new List<string>();
        if (policy.MaxPerPurchase is { } m)
        {
            room.Add($"limit {M(m)} per purchase");
        }
        if (policy.DailyBudget is { } d)
        {
            room.Add($"{M(d - input.SpentToday - input.Amount)} left today");
        }
        if (policy.MonthlyBudget is { } mo)
        {
            room.Add($"{M(mo - input.SpentThisMonth - input.Amount)} left this month");
        }
        return new(true, "allowed", room.Count == 0 ? $"{M(input.Amount)} at {input.MerchantHost}: no limits set for this agent" : $"{M(input.Amount)} at {input.MerchantHost}: {string.Join(", ", room)}");
    }

    /// <summary><c>shop.example.com</c> matches itself; <c>*.example.com</c> matches its subdomains and itself.</summary>
    public static bool HostMatches(string pattern, string host)
    {
        pattern = pattern.Trim().ToLowerInvariant();
        host = host.ToLowerInvariant();
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var root = pattern[2..];
            return host == root || host.EndsWith("." + root, StringComparison.Ordinal);
        }
        return host == pattern;
    }
}
