using System.ComponentModel.DataAnnotations;

namespace CheckoutAgent.Worker.Webhooks;

/// <summary>How webhooks are delivered and retried (section <c>Webhooks</c>).</summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string SectionName = "Webhooks";

    /// <value>Wait after the first failed attempt; each further failure doubles it, up to <see cref="MaxDelay"/>. Default 30 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <value>Longest wait between two attempts. Default 1 h.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <value>How long after the event a delivery is still tried; an attempt that would fall later is not made. Default 24 h.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <value>How long one POST may take, connecting included, before it counts as failed. Default 10 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <value>How often the outbox is checked when nothing announced a new delivery (another process's, or a lease left by a crash). Default 1 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <value>
    /// Whether webhooks may go to loopback, private, link-local and other non-public addresses. Default false: such a
    /// callback is refused at intake (422) and at connect time. Turn it on only for tests and receivers on this machine.
    /// </value>
    public bool AllowPrivateNetworks { get; set; }

    /// <value>
    /// Host names, IP addresses and CIDRs (<c>hooks.corp.example</c>, <c>10.20.0.0/16</c>) allowed as callback targets
    /// although private: on-premise receivers. Default none.
    /// </value>
    public List<string> AllowedTargets { get; set; } = [];

    /// <summary>The callback rules these settings make (see <see cref="CallbackRules"/>).</summary>
    public CallbackRules Rules() => CallbackRules.Create(AllowPrivateNetworks, AllowedTargets).Rules;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var error in CallbackRules.Create(AllowPrivateNetworks, AllowedTargets).Errors)
        {
            yield return new ValidationResult($"Webhooks:AllowedTargets: {error}.", [nameof(AllowedTargets)]);
        }
        if (MaxDelay < InitialDelay)
        {
            yield return new ValidationResult(
                $"Webhooks:MaxDelay ({MaxDelay}) must not be shorter than Webhooks:InitialDelay ({InitialDelay}).",
                [nameof(MaxDelay), nameof(InitialDelay)]);
        }
    }

    /// <summary>The wait after <paramref name="failedAttempts"/> failures: InitialDelay·2^(failedAttempts-1), at most MaxDelay.</summary>
    public TimeSpan DelayAfter(int failedAttempts)
    {
        var exponent = Math.Clamp(failedAttempts - 1, 0, 40);
        var ticks = InitialDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }
}
