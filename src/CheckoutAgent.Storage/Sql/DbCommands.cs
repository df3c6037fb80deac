using System.Data;
using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>Small helpers that keep store code free of a provider's own command and parameter types.</summary>
public static class DbCommands
{
    /// <summary>A command on <paramref name="connection"/>, enlisted in <paramref name="transaction"/> when there is one.</summary>
    public static DbCommand Command(this DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>Adds a parameter; null is sent as SQL NULL.</summary>
    public static DbCommand AddParameter(this DbCommand command, string name, object? value) => Add(command, name, value, null);

    /// <summary>Adds a parameter of a declared type, for a NULL whose type an engine cannot infer.</summary>
    public static DbCommand AddParameter(this DbCommand command, string name, object? value, DbType type) => Add(command, name, value, type);

    private static DbCommand Add(DbCommand command, string name, object? value, DbType? type)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        if (type is { } declared)
        {
            parameter.DbType = declared;
        }
        command.Parameters.Add(parameter);
        return command;
    }

    /// <summary>Runs <paramref name="sql"/> (which may hold several statements where the engine allows it).</summary>
    public static async Task<int> ExecuteAsync(this DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, sql);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
