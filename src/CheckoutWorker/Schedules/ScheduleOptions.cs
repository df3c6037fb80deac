using System.ComponentModel.DataAnnotations;

namespace CheckoutAgent.Worker.Schedules;

/// <summary>How schedules fire.</summary>
public sealed class ScheduleOptions
{
    public const string SectionName = "Schedules";

    /// <value>
    /// How late a fire may start and still run. A fire later than this (the service was down, or stopped, when it was
    /// due) is skipped, not replayed: the schedule resumes at its next fire time. Default 30 s. It is Quartz's job
    /// store misfire threshold, so it applies to every trigger of the worker.
    /// </value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromSeconds(30);
}
