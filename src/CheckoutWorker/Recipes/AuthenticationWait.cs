using System.Diagnostics;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Recipes;

/// <summary>What Link says about a payment waiting for the card holder's confirmation (3-D Secure).</summary>
public enum AuthenticationVerdict
{
    /// <summary>Still waiting (or Link could not be asked this time).</summary>
    Waiting,
    /// <summary>Link reports the payment went through (<c>succeeded</c>): the merchant's confirmation should follow.</summary>
    Paid,
    /// <summary>Link reports the payment failed, or the request ended otherwise.</summary>
    Failed,
    /// <summary>Link needs the person to do something the worker cannot wait out (not <c>auto_resume</c>).</summary>
    ActionRequired,
}

/// <summary>One look at Link: the verdict, with Link's message for the person when it gave one.</summary>
public sealed record AuthenticationCheck(AuthenticationVerdict Verdict, string? Message = null);

/// <summary>
/// The purchase's side of a 3-D Secure wait, which the recipe run calls: record that the purchase is awaiting the card
/// holder (timeline, webhook), and ask Link how the confirmation stands. Implemented by the purchase pipeline.
/// </summary>
public interface IAuthenticationWatch
{
    /// <summary>The challenge showed after the final click; the run waits until <paramref name="deadline"/>.</summary>
    Task ChallengedAsync(DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>How Link sees the payment now. Must not throw for Link's errors: answer <see cref="AuthenticationVerdict.Waiting"/>.</summary>
    Task<AuthenticationCheck> CheckLinkAsync(CancellationToken cancellationToken);
}

/// <summary>How a 3-D Secure wait ended: the recipe outcome the page showed, or a failure code with its message.</summary>
internal sealed record AuthenticationEnd(RecipeOutcome? Outcome, string? Code, string? Message);

/// <summary>
/// Waits out a 3-D Secure challenge that showed after the final click, with the page open and without ever clicking:
/// the card holder confirms out of band (in their bank's app, here Link's), and the merchant's page carries on by
/// itself. Watches the page for the recipe's other outcomes and polls Link, until the page shows one, Link reports the
/// payment failed or needing another action, or the deadline passes.
/// </summary>
internal static class AuthenticationWait
{
    private static readonly TimeSpan PageLook = TimeSpan.FromMilliseconds(200);

    /// <summary>How often Link is asked while waiting.</summary>
    public static readonly TimeSpan LinkPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs the wait. Cancellation (a shutdown) is honoured: the purchase then stays <c>awaiting_authentication</c>,
    /// which a restart ends <c>outcome_unknown</c>, never clicking again.
    /// </summary>
    public static async Task<AuthenticationEnd> RunAsync(IPage page, Recipe recipe, IAuthenticationWatch watch, TimeSpan timeout,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + timeout;
        await watch.ChallengedAsync(deadline, cancellationToken);
        var others = recipe.Outcomes.Where(o => o.Code != OutcomeCodes.ThreeDsRequired).ToList();
        var lastLinkLook = (long?)null;
        var paid = false;
        string? linkMessage = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var outcome in others)
            {
                if (await IsVisibleAsync(RecipeRunner.Locate(page, outcome.When)))
                {
                    return new AuthenticationEnd(outcome, null, null);
                }
            }
            if (lastLinkLook is null || Stopwatch.GetElapsedTime(lastLinkLook.Value) >= LinkPollInterval)
            {
                lastLinkLook = Stopwatch.GetTimestamp();
                var check = await watch.CheckLinkAsync(cancellationToken);
                linkMessage = check.Message ?? linkMessage;
                switch (check.Verdict)
                {
                    case AuthenticationVerdict.Failed:
                        return new AuthenticationEnd(null, FailureCodes.AuthenticationFailed,
                            $"the card holder's confirmation (3-D Secure) after the final click failed: {check.Message ?? "Link reports the payment failed"}");
                    case AuthenticationVerdict.ActionRequired:
                        return new AuthenticationEnd(null, FailureCodes.LinkActionRequired,
                            $"Link needs the person to act before this payment can go on: {check.Message ?? "see the Link app"}");
                    case AuthenticationVerdict.Paid:
                        // The confirmation page should follow at once; keep watching the page until the deadline.
                        paid = true;
                        break;
                }
            }
            if (time.GetUtcNow() >= deadline)
            {
                return paid
                    ? new AuthenticationEnd(null, FailureCodes.OutcomeUnknown,
                        $"Link reports the payment went through after the card holder's confirmation, but the merchant's page showed no outcome by {deadline:u}; check the merchant for the order")
                    : new AuthenticationEnd(null, FailureCodes.AuthenticationTimeout,
                        $"nobody confirmed the payment (3-D Secure) by {deadline:u}{(linkMessage is null ? "" : $" (Link asked: {linkMessage})")}; nothing more was clicked");
            }
            await Task.Delay(PageLook, time, cancellationToken);
        }
    }

    private static async Task<bool> IsVisibleAsync(ILocator locator)
    {
        try
        {
            return await locator.First.IsVisibleAsync();
        }
        catch (PlaywrightException)
        {
            return false; // navigating to the confirmation: look again
        }
    }
}
