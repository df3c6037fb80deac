using System.Diagnostics;
using CheckoutAgent.Worker.Purchases;

namespace CheckoutAgent.Worker.Bench;

/// <summary>A timeline event as the benchmark saw it, stamped with <see cref="Stopwatch.GetTimestamp"/> when it was committed.</summary>
internal readonly record struct SeenEvent(string Kind, long At);

/// <summary>
/// Splits one purchase's end-to-end time into phases that add up to it, from the moments its timeline events were
/// committed and the timings the pipeline recorded in the outcome:
/// <list type="bullet">
/// <item><c>policy</c>: handing the purchase over until intake committed it (budget check, policy, insert).</item>
/// <item><c>queue</c>: intake committed until the spend request was recorded, less validation and Link's answer:
/// Quartz picking the job up, loading the purchase, the pause check and the store write.</item>
/// <item><c>validate</c>, <c>spend_request</c>: loading the recipe and checking the request; Link creating the spend request.</item>
/// <item><c>approval</c>: until the card is in hand and <c>approved</c> recorded (the sandbox approves at once).</item>
/// <item><c>merchant_wait</c>: waiting for a checkout slot at the merchant (<c>Worker:PerMerchantConcurrency</c>).</item>
/// <item><c>context</c>: a fresh browser context (the first one also starts Chromium).</item>
/// <item><c>recipe_steps</c>: every step before the final click, with the new page and each step's timeline write.</item>
/// <item><c>submit</c>: recording <c>submitting</c> and the final click.</item>
/// <item><c>confirmation</c>: waiting for the merchant's answer on the page.</item>
/// <item><c>screenshot</c>: the receipt screenshot, card fields masked.</item>
/// <item><c>report</c>: the rest: reading the order number, closing the context, deleting the card file, reporting
/// to Link and recording the outcome.</item>
/// </list>
/// </summary>
internal static class PhaseBreakdown
{
    public static IReadOnlyList<string> Names { get; } =
        ["policy", "queue", "validate", "spend_request", "approval", "merchant_wait", "context", "recipe_steps", "submit", "confirmation", "screenshot", "report"];

    /// <summary>The phases of one succeeded purchase, or null when its timeline lacks an event they need.</summary>
    public static IReadOnlyDictionary<string, double>? Of(long handedOver, IReadOnlyList<SeenEvent> events, IReadOnlyList<Timing> timings)
    {
        long? First(string kind) => events.FirstOrDefault(e => e.Kind == kind) is { Kind: not null } e ? e.At : null;
        double Timing(string name) => timings.FirstOrDefault(t => t.Name == name)?.Milliseconds ?? 0;

        var submitting = First(PurchaseStatus.Submitting);
        var submitStep = submitting is { } s ? events.FirstOrDefault(e => e.Kind == "step" && e.At >= s) : default;
        if (First("policy") is not { } policy || First("spend_request") is not { } spendRequest || First("approved") is not { } approved
            || submitting is null || submitStep.Kind is null || First(PurchaseStatus.Succeeded) is not { } end)
        {
            return null;
        }
        static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

        var validate = Timing("validate");
        var spend = Timing("spend_request");
        var merchantWait = Timing("merchant_wait");
        var context = Timing("context");
        var confirmation = Timing("confirmation");
        var screenshot = Timing("screenshot");
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["policy"] = Ms(handedOver, policy),
            ["queue"] = Ms(policy, spendRequest) - validate - spend,
            ["validate"] = validate,
            ["spend_request"] = spend,
            ["approval"] = Ms(spendRequest, approved) - merchantWait,
            ["merchant_wait"] = merchantWait,
            ["context"] = context,
            ["recipe_steps"] = Ms(approved, submitting.Value) - context,
            ["submit"] = Ms(submitting.Value, submitStep.At),
            ["confirmation"] = confirmation,
            ["screenshot"] = screenshot,
            ["report"] = Ms(submitStep.At, end) - confirmation - screenshot,
        };
    }
}
