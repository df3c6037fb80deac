using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CheckoutAgent.Worker.Configuration;

/// <summary>
/// Where the worker keeps its state (section <c>Storage</c>). The default is the embedded SQLite file in the data
/// directory: nothing to set up. <c>postgres</c> puts everything (purchases, timelines, keys, agents, schedules, the
/// webhook outbox, merchant accounts and Quartz's tables) on a PostgreSQL server that several workers share, with
/// Quartz clustered on it.
/// </summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>The fallback for <see cref="ConnectionString"/>: <c>ConnectionStrings:CheckoutAgent</c>.</summary>
    public const string ConnectionStringName = "CheckoutAgent";

    /// <value><c>sqlite</c> (default) or <c>postgres</c>.</value>
    public string Provider { get; set; } = CheckoutDatabase.SqliteProvider;

    /// <value>
    /// PostgreSQL connection string (<c>Host=…;Port=5432;Database=…;Username=…;Password=…</c>); when empty,
    /// <c>ConnectionStrings:CheckoutAgent</c>. Ignored for SQLite. Pool size (<c>Maximum Pool Size</c>, Npgsql's default
    /// 100) must be at least <c>Worker:Concurrency</c> + 3 per node.
    /// </value>
    public string? ConnectionString { get; set; }

    /// <value>
    /// This node's Quartz instance id, unique in the cluster. Default <c>AUTO</c>: Quartz makes one from the host name
    /// and the start time, which is unique as long as two nodes never share a host name and start in the same tick.
    /// </value>
    public string InstanceId { get; set; } = "AUTO";

    /// <value>
    /// How often each node checks in with the cluster (Quartz's <c>clusterCheckinInterval</c>). Default 5 s.
    /// </value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ClusterCheckinInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <value>
    /// How late a check-in may be before the other nodes declare the node dead and recover its purchases
    /// (Quartz's <c>clusterCheckinMisfireThreshold</c>, counted on top of the interval). Default 10 s. A node that is
    /// only slow past this (a long GC, a frozen VM) finds itself fenced off when it wakes: it cannot record the final
    /// click of a purchase another node took over.
    /// </value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ClusterCheckinMisfireThreshold { get; set; } = TimeSpan.FromSeconds(10);

    /// <value>
    /// How long a node holds a per-merchant checkout slot without renewing it (renewed every third of it). A slot of a
    /// node that died frees itself after this. Default 60 s.
    /// </value>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan MerchantSlotLease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The database <paramref name="configuration"/> names: SQLite at <paramref name="sqlitePath"/>, or PostgreSQL.
    /// </summary>
    /// <exception cref="StorageConfigurationException">An unknown provider, or PostgreSQL without a connection string.</exception>
    public static CheckoutDatabase OpenDatabase(IConfiguration configuration, string sqlitePath)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(SectionName).Get<StorageOptions>() ?? new StorageOptions();
        return options.Open(configuration.GetConnectionString(ConnectionStringName), sqlitePath);
    }

    /// <summary>
    /// The database of the configuration a command-line verb sees outside a host: <c>appsettings.json</c> beside the
    /// program and the environment (<c>Storage__Provider</c>, <c>Storage__ConnectionString</c>,
    /// <c>ConnectionStrings__CheckoutAgent</c>).
    /// </summary>
    public static CheckoutDatabase OpenDatabase(string sqlitePath) => OpenDatabase(new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddEnvironmentVariables()
        .Build(), sqlitePath);

    private CheckoutDatabase Open(string? fallbackConnectionString, string sqlitePath)
    {
        switch (Provider.Trim().ToLowerInvariant())
        {
            case CheckoutDatabase.SqliteProvider:
                return new CheckoutDatabase(sqlitePath);
            case CheckoutDatabase.PostgresProvider or "postgresql":
                var connectionString = string.IsNullOrWhiteSpace(ConnectionString) ? fallbackConnectionString : ConnectionString;
                if (string.IsNullOrWhiteSpace(connectionString))
                {
                    throw new StorageConfigurationException(
                        "Storage:Provider is 'postgres' but no connection string is set: set Storage:ConnectionString (environment: " +
                        "Storage__ConnectionString) or ConnectionStrings:CheckoutAgent, e.g. Host=db;Database=checkout;Username=checkout;Password=...");
                }
                try
                {
                    return CheckoutDatabase.Postgres(connectionString);
                }
                catch (ArgumentException ex)
                {
                    throw new StorageConfigurationException(ex.Message);
                }
            default:
                throw new StorageConfigurationException(
                    $"Storage:Provider '{Provider}' is not known: use 'sqlite' (the default, a file in the data directory) or 'postgres' " +
                    "(with Storage:ConnectionString).");
        }
    }
}

/// <summary>
/// The storage configuration cannot work (unknown provider, missing or unparsable connection string). Printed as one
/// line without a stack trace; the command line exits 78 (EX_CONFIG).
/// </summary>
public sealed class StorageConfigurationException : Exception
{
    public StorageConfigurationException(string message) : base(message)
    {
    }

    public StorageConfigurationException()
    {
    }

    public StorageConfigurationException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <value>None: the message is all an operator needs.</value>
    public override string? StackTrace => null;
}
