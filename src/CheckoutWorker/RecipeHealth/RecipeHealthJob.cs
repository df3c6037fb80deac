using Microsoft.Extensions.Logging;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace CheckoutAgent.Worker.RecipeHealth;

/// <summary>
/// The scheduled health check (<c>Recipes:HealthCheck:Cron</c>): every recipe (or the configured ones), one after
/// another. One Quartz job: with several workers on one PostgreSQL, Quartz's cluster fires it on one node.
/// </summary>
[DisallowConcurrentExecution]
public sealed class RecipeHealthJob(RecipeHealthChecker checker, RecipeCatalog catalog, IOptions<RecipeHealthOptions> options,
    ShutdownSignal shutdown, ILogger<RecipeHealthJob> logger) : IJob
{
    public const string Group = "recipe-health";
    public static readonly JobKey Key = new("all-recipes", Group);
    public static readonly TriggerKey TriggerKey = new("all-recipes", Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // A shutdown stops the checks between steps: a check is worth nothing to wait for (the next one comes).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, shutdown.Token);
        cancellationToken = stopping.Token;
        var names = options.Value.Recipes.Count > 0 ? options.Value.Recipes : catalog.List().Select(r => r.Name).ToList();
        var failed = 0;
        foreach (var name in names)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            try
            {
                var check = await checker.CheckAsync(name, RecipeCheckTriggers.Schedule, null, cancellationToken);
                failed += check.Passed ? 0 : 1;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // One recipe's trouble (the browser gone, the database busy) does not stop the others' checks.
                Log.RecipeCheckCrashed(logger, name, ex.GetType().Name);
                failed++;
            }
        }
        Log.RecipeChecksDone(logger, names.Count, failed);
    }
}

/// <summary>
/// Puts the health check's job on Quartz when <c>Recipes:HealthCheck:Cron</c> is set, with the cron as configured
/// now, and takes it off when it is not (Quartz's store remembers jobs across restarts).
/// </summary>
public sealed class RecipeHealthSchedule(ISchedulerFactory schedulers, IOptions<RecipeHealthOptions> options, ILogger<RecipeHealthSchedule> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var settings = options.Value;
        if (!settings.Scheduled)
        {
            await scheduler.DeleteJob(RecipeHealthJob.Key, cancellationToken);
            return;
        }
        var cron = CheckoutAgent.Core.Schedules.ScheduleCron.Parse(settings.Cron!).Expression!;
        var job = JobBuilder.Create<RecipeHealthJob>().WithIdentity(RecipeHealthJob.Key).WithDescription("recipe health checks").StoreDurably().Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(RecipeHealthJob.TriggerKey)
            .ForJob(job.Key)
            .WithExecutionGroup(RecipeHealthJob.Group)
            .WithSchedule(CronScheduleBuilder.Create(cron.CronExpressionString)
                .InTimeZone(CheckoutAgent.Core.Intake.ScheduleBody.FindZone(settings.TimeZone) ?? TimeZoneInfo.Utc)
                // A check missed while the worker was down is not worth running late: the next one comes.
                .WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing))
            .Build();
        // Replace: a changed cron takes effect at the next start; on a cluster every node writes the same job.
        await scheduler.ScheduleJob(job, trigger, new ScheduleJobOptions { Replace = true }, cancellationToken);
        var next = (await scheduler.GetTrigger(RecipeHealthJob.TriggerKey, cancellationToken))?.NextFireTimeUtc;
        Log.RecipeChecksScheduled(logger, cron.CronExpressionString, next?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "never");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
