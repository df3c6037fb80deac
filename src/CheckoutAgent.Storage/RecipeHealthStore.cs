using System.Data.Common;

namespace CheckoutAgent.Storage;

/// <summary>
/// One health check of a recipe: a walk at its merchant up to its first card or account step. Nothing typed is kept
/// (a check types no secret); <see cref="PageState"/> is the runner's description of the page, which masks card numbers.
/// </summary>
public sealed record RecipeCheckRecord(
    string Id,
    string Recipe,
    DateTimeOffset CheckedAt,
    bool Passed,
    string Code,
    int? FailedStep,
    string? Step,
    string? Message,
    string? PageState,
    string? ScreenshotPath,
    long DurationMs,
    string Trigger,
    string? Alert = null)
{
    /// <summary>A new id: <c>rck_</c> and 20 random characters.</summary>
    public static string NewId() => CheckoutAgent.Link.ObjectIds.New("rck_", 20);
}

/// <summary>The <c>recipe_checks</c> table: every recipe health check, kept for <see cref="KeepPerRecipe"/> checks per recipe.</summary>
public sealed class RecipeHealthStore(IConnectionFactory connections, SqlDialect dialect)
{
    /// <summary>Checks kept per recipe; older ones are deleted as new ones are recorded.</summary>
    public const int KeepPerRecipe = 50;

    private const string Columns = "id, recipe, checked_at, passed, code, failed_step, step, message, page_state, screenshot_path, duration_ms, trigger_kind, alert";

    public RecipeHealthStore(CheckoutDatabase database) : this(database.Connections, database.Dialect)
    {
    }

    /// <summary>Records a check and trims the recipe's history, in one transaction.</summary>
    public async Task RecordAsync(RecipeCheckRecord check, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var transaction = await dialect.BeginWriteTransactionAsync(connection, cancellationToken);
        await using (var insert = connection.Command(transaction, $"""
            INSERT INTO recipe_checks ({Columns})
            VALUES (@id, @recipe, @at, @passed, @code, @failed, @step, @message, @page, @screenshot, @duration, @trigger, @alert)
            """))
        {
            insert.AddParameter("@id", check.Id).AddParameter("@recipe", check.Recipe).AddParameter("@at", Timestamps.Format(check.CheckedAt))
                .AddParameter("@passed", check.Passed ? 1 : 0).AddParameter("@code", check.Code)
                .AddParameter("@failed", check.FailedStep is { } failed ? failed : DBNull.Value)
                .AddParameter("@step", (object?)check.Step ?? DBNull.Value).AddParameter("@message", (object?)check.Message ?? DBNull.Value)
                .AddParameter("@page", (object?)check.PageState ?? DBNull.Value).AddParameter("@screenshot", (object?)check.ScreenshotPath ?? DBNull.Value)
                .AddParameter("@duration", check.DurationMs).AddParameter("@trigger", check.Trigger).AddParameter("@alert", (object?)check.Alert ?? DBNull.Value);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var trim = connection.Command(transaction, $"""
            DELETE FROM recipe_checks WHERE recipe = @recipe AND id NOT IN (
                SELECT id FROM recipe_checks WHERE recipe = @recipe ORDER BY checked_at DESC, id DESC LIMIT {KeepPerRecipe})
            """))
        {
            trim.AddParameter("@recipe", check.Recipe);
            await trim.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Notes how the alert about a check went (e.g. <c>recipe.broken delivered (204)</c>).</summary>
    public async Task SetAlertAsync(string id, string alert, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE recipe_checks SET alert = @alert WHERE id = @id";
        command.AddParameter("@id", id).AddParameter("@alert", alert);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The newest check of every recipe that has one, by recipe name.</summary>
    public async Task<IReadOnlyDictionary<string, RecipeCheckRecord>> LatestAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync($"""
            SELECT {Columns} FROM recipe_checks c
            WHERE c.id = (SELECT id FROM recipe_checks n WHERE n.recipe = c.recipe ORDER BY checked_at DESC, id DESC LIMIT 1)
            ORDER BY recipe
            """, null, 0, cancellationToken);
        return rows.ToDictionary(r => r.Recipe, StringComparer.Ordinal);
    }

    /// <summary>A recipe's checks, newest first.</summary>
    public Task<IReadOnlyList<RecipeCheckRecord>> HistoryAsync(string recipe, int limit, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM recipe_checks WHERE recipe = @recipe ORDER BY checked_at DESC, id DESC LIMIT @limit",
            recipe, limit, cancellationToken);

    private async Task<IReadOnlyList<RecipeCheckRecord>> QueryAsync(string sql, string? recipe, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (recipe is not null)
        {
            command.AddParameter("@recipe", recipe).AddParameter("@limit", limit);
        }
        var result = new List<RecipeCheckRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new RecipeCheckRecord(
                reader.GetString(0), reader.GetString(1), Timestamps.Parse(reader.GetString(2)), reader.GetInt32(3) != 0, reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetInt32(5), Text(reader, 6), Text(reader, 7), Text(reader, 8), Text(reader, 9),
                Convert.ToInt64(reader.GetValue(10), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(11), Text(reader, 12)));
        }
        return result;
    }

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
