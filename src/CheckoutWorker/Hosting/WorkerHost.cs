using CheckoutAgent.Link;
using CheckoutAgent.Link.Cli;
using CheckoutAgent.Link.Sandbox;
using CheckoutAgent.Worker.Accounts;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Cluster;
using CheckoutAgent.Worker.Link;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Purchases;
using CheckoutAgent.Worker.Recipes;
using CheckoutAgent.Worker.Schedules;
using CheckoutAgent.Worker.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using CheckoutAgent.Worker.RecipeHealth;
using Quartz;
using Serilog;
using Serilog.Events;

using CheckoutAgent.Worker.Configuration;

namespace CheckoutAgent.Worker.Hosting;

/// <summary>What a verb decides about the host it starts.</summary>
public sealed class WorkerHostSettings
{
    /// <value>Configuration set by the verb (e.g. <c>Worker:DataDirectory</c> from <c>--data-dir</c>); wins over files and environment.</value>
    public Dictionary<string, string?> Configuration { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <value>Least level shown on the console; everything from Information goes to the JSON log file anyway.</value>
    public LogEventLevel ConsoleLogLevel { get; set; } = LogEventLevel.Information;

    /// <value>The Link sandbox to use when <c>Link:Transport</c> is <c>sandbox</c>; null: a new one that approves at once.</value>
    public LinkSandbox? Sandbox { get; set; }
}

/// <summary>All the wiring of the worker in one place.</summary>
public static class WorkerHost
{
    public static IHost Build(WorkerHostSettings settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        Configure(builder, settings);
        return builder.Build();
    }

    /// <summary>Configuration, logging and services of the worker on any host builder (the plain host, or <c>serve</c>'s web host).</summary>
    public static WorkerOptions Configure(IHostApplicationBuilder builder, WorkerHostSettings settings)
    {
        builder.Configuration.AddInMemoryCollection(settings.Configuration);
        var worker = builder.Configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();

        builder.Logging.ClearProviders();
        // Serilog as the logger factory, the masking logger in the services (request logging writes through it), and
        // the diagnostic context Serilog.AspNetCore's request logging needs; disposed (flushed) with the host.
        var logger = Logging.Create(worker, settings.ConsoleLogLevel, builder.Configuration);
        builder.Services.AddSerilog(logger, dispose: true);
        builder.Services.AddSingleton<Serilog.ILogger>(logger);
        var schedules = builder.Configuration.GetSection(ScheduleOptions.SectionName).Get<ScheduleOptions>();
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>();
        builder.Services.AddCheckoutWorker(worker, settings.Sandbox, schedules, storage,
            StorageOptions.OpenDatabase(builder.Configuration, worker.DatabasePath));
        return worker;
    }

    public static IServiceCollection AddCheckoutWorker(this IServiceCollection services, WorkerOptions worker, LinkSandbox? sandbox,
        ScheduleOptions? schedules = null, StorageOptions? storage = null, CheckoutDatabase? database = null)
    {
        schedules ??= new ScheduleOptions();
        storage ??= new StorageOptions();
        database ??= new CheckoutDatabase(worker.DatabasePath);
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LinkOptions>().BindConfiguration(LinkOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BrowserOptions>().BindConfiguration(BrowserOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RecipeOptions>().BindConfiguration(RecipeOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RecipeOptions>, RecipeOptionsValidator>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<WorkerNode>();
        services.AddSingleton(database);
        // What the stores are built on: a new engine registers its own factory and dialect here. The stores are built
        // from these two explicitly (each also has a constructor taking a CheckoutDatabase, which DI must not choose).
        services.AddSingleton<IConnectionFactory>(database.Connections);
        services.AddSingleton(database.Dialect);
        services.AddSingleton(sp => new AccountStore(sp.GetRequiredService<IConnectionFactory>(), sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new PurchaseStore(sp.GetRequiredService<IConnectionFactory>(), sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<PurchaseQueue>();
        services.AddSingleton<RunningPurchases>();
        services.AddSingleton<PurchasePipeline>();
        services.AddSingleton<CardVault>();
        services.AddSingleton<BrowserPool>();
        services.AddSingleton(sp => new MerchantSlotStore(sp.GetRequiredService<IConnectionFactory>(), sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<MerchantLimiter>();
        services.AddSingleton<RecipeRunner>();
        services.AddSingleton<RecipeCatalog>();
        services.AddOptions<RecipeHealthOptions>().BindConfiguration(RecipeHealthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new RecipeHealthStore(sp.GetRequiredService<IConnectionFactory>(), sp.GetRequiredService<SqlDialect>()));
        services.AddSingleton<RecipeAlerts>();
        services.AddSingleton<RecipeHealthChecker>();
        services.AddSingleton<RecipeHealthService>();
        // Webhook secrets are sealed with the merchant-account key (Accounts:Key / Accounts:KeyFile).
        services.AddSingleton<ISecretSealer>(sp => VaultSecretSealer.For(sp.GetRequiredService<IOptions<AccountOptions>>().Value, sp.GetRequiredService<IOptions<WorkerOptions>>().Value));
        services.AddSingleton(sp => new AgentStore(sp.GetRequiredService<IConnectionFactory>(), sp.GetRequiredService<SqlDialect>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ISecretSealer>()));
        services.AddSingleton<PurchaseService>();
        services.AddSingleton<PurchaseReconciler>();
        services.AddSingleton<ShutdownSignal>();
        services.AddSingleton(sp => new ScheduleStore(sp.GetRequiredService<IConnectionFactory>(), sp.GetRequiredService<SqlDialect>()));
        services.AddSingleton<ScheduleService>();
        // Merchant accounts: encrypted in the store under a key outside it (Accounts:Key / Accounts:KeyFile).
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.SectionName);
        services.AddSingleton<AccountService>();

        // link-cli's settings live under Link:Cli (ExecutablePath, LeadingArguments, AuthFile, ApiBaseUrl, AuthBaseUrl, ...).
        services.AddOptions<LinkCliOptions>().BindConfiguration(LinkCliOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sandbox ?? new LinkSandbox(new LinkSandboxOptions(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ILinkClient>(sp => sp.GetRequiredService<IOptions<LinkOptions>>().Value.Transport switch
        {
            "cli" => new LinkCliClient(sp.GetRequiredService<IOptions<LinkCliOptions>>().Value, sp.GetRequiredService<TimeProvider>()),
            _ => new SandboxLinkClient(sp.GetRequiredService<LinkSandbox>(), sp.GetRequiredService<TimeProvider>()),
        });

        // Registered before Quartz: hosted services start in order, and Quartz needs the database to exist.
        services.AddHostedService<WorkerStartup>();
        // Before Quartz, so it stops after it: webhooks of checkouts finishing during shutdown still go out.
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Rules());
        services.AddHostedService<WebhookDispatcher>();
        services.AddHostedService<BrowserWarmUp>();
        services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = "checkout-agent";
                if (database.IsShared && !string.Equals(storage.InstanceId, "AUTO", StringComparison.OrdinalIgnoreCase))
                {
                    scheduler.InstanceId = storage.InstanceId;
                }
            });
            // One thread more than purchases may take: a schedule fire never waits behind purchases awaiting approval.
            // And one for the recipe health checks, which walk one recipe at a time.
            quartz.UseDefaultThreadPool(pool => pool.MaxConcurrency = worker.Concurrency + 2);
            quartz.UseExecutionLimits(limits => limits.ForDefaultGroup(worker.Concurrency).ForGroup(ScheduleFireJob.Group, 1)
                .ForGroup(RecipeHealthJob.Group, 1));
            quartz.UsePersistentStore(store =>
            {
                // Job data holds only a purchase id; plain strings keep Quartz's tables readable.
                store.ConfigureStore(ado =>
                {
                    ado.StoreJobDataAsStrings = true;
                    // A fire later than this (the worker was down when it was due) is a misfire: schedules skip it.
                    ado.MisfireThreshold = schedules.MisfireThreshold;
                });
                if (database.IsShared)
                {
                    // Several workers on one PostgreSQL: Quartz's cluster decides which node fires each trigger, and
                    // recovers the purchases of a node that stops checking in (see docs/running-several-workers.md).
                    store.UsePostgres(database.ConnectionString);
                    store.UseClustering(cluster =>
                    {
                        cluster.CheckinInterval = storage.ClusterCheckinInterval;
                        cluster.CheckinMisfireThreshold = storage.ClusterCheckinMisfireThreshold;
                    });
                }
                else
                {
                    store.UseSqlite(database.ConnectionString);
                    store.UseConnectionProvider(_ => new BusyWaitingSqliteProvider(database.ConnectionString));
                }
                store.UseSystemTextJsonSerializer();
                store.ProvisionSchema();
            });
        });
        services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
        // After Quartz, so it stops first and hands Quartz what is still waiting.
        services.AddSingleton<PurchaseDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<PurchaseDispatcher>());
        // After Quartz: resumes purchases a shutdown or crash left without a job.
        services.AddHostedService<PurchaseResumer>();
        // After Quartz: every schedule row has its job, and no schedule job lacks its row.
        services.AddHostedService<ScheduleReconciler>();
        // After Quartz: the health check's job is on it exactly when Recipes:HealthCheck:Cron is set.
        services.AddHostedService<RecipeHealthSchedule>();
        return services;
    }
}
