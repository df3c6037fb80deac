namespace CheckoutAgent.Storage;

/// <summary>
/// The database holds a schema version this build does not know: a newer release has upgraded it. Retrying cannot
/// help, so callers should report <see cref="Exception.Message"/> and stop, not restart.
/// </summary>
public sealed class DatabaseSchemaException : Exception
{
    public DatabaseSchemaException(string database, int databaseVersion, int latestKnown)
        : base($"The database {database} is at schema version {databaseVersion}, but this build of checkout-agent knows versions " +
               $"up to {latestKnown} only: a newer checkout-agent has upgraded it. Run that newer version, or restore a backup " +
               "taken before the upgrade. Nothing was changed.")
    {
        Database = database;
        DatabaseVersion = databaseVersion;
        LatestKnown = latestKnown;
    }

    public DatabaseSchemaException()
    {
        Database = "";
    }

    public DatabaseSchemaException(string message) : base(message)
    {
        Database = "";
    }

    public DatabaseSchemaException(string message, Exception innerException) : base(message, innerException)
    {
        Database = "";
    }

    /// <value>
    /// None: this is an operator's situation, not a bug, and the message says all there is. Without a stack trace the
    /// host's "failed to start" log line and the command line's error output are just the message.
    /// </value>
    public override string? StackTrace => null;

    /// <value>The database, as its connection factory describes it.</value>
    public string Database { get; }

    public int DatabaseVersion { get; }

    public int LatestKnown { get; }
}
