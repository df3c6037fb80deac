using System.ComponentModel.DataAnnotations;

namespace CheckoutAgent.Worker.OperatorConsole;

/// <summary>The operator console that <c>serve</c> hosts at <c>/console</c> (section <c>Console</c>).</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <value>Whether <c>serve</c> hosts the console. Default true; the API does not depend on it.</value>
    public bool Enabled { get; set; } = true;

    /// <value>How long a sign-in lasts before the operator must sign in again (not extended by use). Default 8 hours.</value>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <value>Seconds between the purchase list's live refreshes. Default 3.</value>
    [Range(1, 300)]
    public int RefreshSeconds { get; set; } = 3;
}
