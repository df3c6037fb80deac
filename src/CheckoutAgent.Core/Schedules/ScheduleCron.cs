using CheckoutAgent.Link;
using Quartz;

namespace CheckoutAgent.Core.Schedules;

/// <summary>
/// Reads the <c>cron</c> of a schedule: Quartz's seconds-first form (6 or 7 fields, or a macro such as <c>@daily</c>),
/// or a 5-field crontab line, which Quartz rewrites into the Quartz form that says the same thing
/// (<c>30 4 * * 1</c> becomes <c>0 30 4 ? * MON</c>: seconds 0, crontab's day-of-week 0-7 mapped to SUN-SAT).
/// The schedule stores and shows the Quartz form.
/// </summary>
public static class ScheduleCron
{
    public const string Example = "0 0 9 ? * MON";

    public const string Expected =
        $"a Quartz cron expression, seconds first (SEC MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK [YEAR]) such as '{Example}' for 09:00 every Monday, " +
        "or a 5-field crontab expression such as '0 9 * * 1', which is converted to the Quartz form";

    /// <returns>The parsed expression, or the problem to report (never echoing more than the caller sent).</returns>
    public static (CronExpression? Expression, string? Problem) Parse(string text)
    {
        var trimmed = text.Trim();
        var fields = trimmed.Split(' ', '\t').Count(f => f.Length > 0);
        CronFormat format;
        if (trimmed.StartsWith('@') || fields is 6 or 7)
        {
            format = CronFormat.Quartz;
        }
        else if (fields == 5)
        {
            format = CronFormat.Unix;
        }
        else
        {
            return (null, $"has {fields} field(s)");
        }
        try
        {
            return (CronExpression.Parse(trimmed, format), null);
        }
        catch (FormatException ex)
        {
            // Quartz's reason names the bad field; masked because it may quote what the caller typed.
            return (null, CardNumberMasker.Mask(ex.Message));
        }
    }
}
