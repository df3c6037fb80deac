using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace CheckoutAgent.Core.Purchases;

/// <summary>What a person decided about an <c>outcome_unknown</c> purchase after checking with the merchant.</summary>
public static class ReconcileDecisions
{
    /// <summary>The merchant has an order for it: the purchase ends <c>succeeded</c> with that order number.</summary>
    public const string OrderExists = "order_exists";

    /// <summary>The merchant has no order for it: the purchase ends <c>failed</c> (<c>reconciled_no_order</c>).</summary>
    public const string NoOrder = "no_order";

    public static IReadOnlyList<string> All { get; } = [OrderExists, NoOrder];
}

/// <summary>Who reconciled an <c>outcome_unknown</c> purchase, how and when; kept in its outcome.</summary>
/// <param name="Decision">One of <see cref="ReconcileDecisions"/>.</param>
/// <param name="OrderNumber">The merchant's order number, for <see cref="ReconcileDecisions.OrderExists"/>.</param>
/// <param name="By">Who decided: <c>agent NAME (agt_…)</c> for an admin token or the console's signed-in admin; never a token.</param>
/// <param name="At">When.</param>
/// <param name="PreviousCode">The outcome code the purchase had before (why it was unknown).</param>
public sealed record PurchaseReconciliation(
    [property: JsonPropertyName("decision")] string Decision,
    [property: JsonPropertyName("order_number")] string? OrderNumber,
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("previous_code")] string? PreviousCode);

/// <summary>What a reconcile request came to.</summary>
public enum ReconcileDisposition
{
    /// <summary>The purchase moved from <c>outcome_unknown</c> to <c>succeeded</c> or <c>failed</c>.</summary>
    Reconciled,
    /// <summary>It had already been reconciled the same way: nothing changed, the same purchase is returned.</summary>
    AlreadyReconciled,
    NotFound,
    /// <summary>It was reconciled before with another decision or order number.</summary>
    ConflictingDecision,
    /// <summary>It is still being worked on (not yet ended, or a run of it is still finishing).</summary>
    Running,
    /// <summary>It ended <c>succeeded</c> or <c>failed</c> by itself: there is nothing to reconcile.</summary>
    NotUnknown,
}

/// <summary>The rules of reconciling, apart from storage: who may decide what, and what a valid order number is.</summary>
public static partial class PurchaseReconcile
{
    /// <summary>Longest order number accepted.</summary>
    public const int MaxOrderNumberLength = 64;

    /// <summary>The failure code of a purchase reconciled as "no order".</summary>
    public const string NoOrderCode = "reconciled_no_order";

    /// <summary>
    /// Checks a decision and its order number; null when valid, else a message saying what is wrong and how to fix it.
    /// An order number is 1–64 letters, digits, spaces and <c>- _ . / #</c>; a run of 13–19 digits that passes the
    /// Luhn check is refused as a likely card number, so none is ever stored by mistake.
    /// </summary>
    public static string? Validate(string? decision, string? orderNumber)
    {
        if (decision is null || !ReconcileDecisions.All.Contains(decision, StringComparer.Ordinal))
        {
            return $"decision must be one of {string.Join(", ", ReconcileDecisions.All)}; got '{CheckoutAgent.Core.Intake.InputEcho.Quote(decision ?? "")}'";
        }
        if (decision == ReconcileDecisions.NoOrder)
        {
            return string.IsNullOrEmpty(orderNumber) ? null : "order_number is only for decision order_exists; leave it out for no_order";
        }
        if (string.IsNullOrWhiteSpace(orderNumber))
        {
            return "order_number is required for decision order_exists: the merchant's order number, as its confirmation shows it";
        }
        if (orderNumber.Length > MaxOrderNumberLength || !OrderNumberShape().IsMatch(orderNumber))
        {
            return $"order_number must be 1 to {MaxOrderNumberLength} letters, digits, spaces or - _ . / #; got '{CheckoutAgent.Core.Intake.InputEcho.Quote(orderNumber)}'";
        }
        if (LooksLikeCardNumber(orderNumber))
        {
            return "order_number looks like a card number (13 to 19 digits passing the Luhn check); enter the merchant's order number, never a card";
        }
        return null;
    }

    /// <summary>Whether <paramref name="text"/> holds a 13–19 digit run (spaces and dashes allowed between) passing the Luhn check.</summary>
    public static bool LooksLikeCardNumber(string text)
    {
        foreach (Match match in DigitRun().Matches(text))
        {
            var digits = new string(match.Value.Where(char.IsAsciiDigit).ToArray());
            if (digits.Length is >= 13 and <= 19 && Luhn(digits))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Luhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>
    /// What a reconcile finds at <paramref name="status"/> with the purchase's earlier reconciliation (if any), for the
    /// decision asked: only <c>outcome_unknown</c> moves; the same decision again is a replay; another is a conflict.
    /// </summary>
    public static ReconcileDisposition Decide(string status, PurchaseReconciliation? earlier, string decision, string? orderNumber) => status switch
    {
        PurchaseStatus.OutcomeUnknown => ReconcileDisposition.Reconciled,
        _ when earlier is not null => earlier.Decision == decision && string.Equals(earlier.OrderNumber, Normalize(orderNumber), StringComparison.Ordinal)
            ? ReconcileDisposition.AlreadyReconciled
            : ReconcileDisposition.ConflictingDecision,
        _ when PurchaseStatus.IsTerminal(status) => ReconcileDisposition.NotUnknown,
        _ => ReconcileDisposition.Running,
    };

    /// <summary>The order number as stored: trimmed; null when empty.</summary>
    public static string? Normalize(string? orderNumber) => string.IsNullOrWhiteSpace(orderNumber) ? null : orderNumber.Trim();

    [GeneratedRegex(@"^[A-Za-z0-9 _.\-/#]+$")]
    private static partial Regex OrderNumberShape();

    [GeneratedRegex(@"\d[\d -]{11,}\d")]
    private static partial Regex DigitRun();
}

/// <summary>What a reconcile came to, and the purchase as it stands after it (null when not found).</summary>
public sealed record ReconcileResult(ReconcileDisposition Disposition, PurchaseRecord? Purchase);
