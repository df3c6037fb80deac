namespace CheckoutAgent.Storage;

/// <summary>
/// The per-merchant checkout limit kept in the database, so it holds across every node sharing it: a slot is a row
/// <c>(host, slot)</c> with a holder and a lease. A slot is free when it has no row or its lease has run out, so the
/// slots of a node that died free themselves. Taking one is a single conditional upsert: of two nodes racing for the
/// same free slot, one gets it.
/// </summary>
public sealed class MerchantSlotStore(IConnectionFactory connections, SqlDialect dialect, TimeProvider time)
{
    /// <summary>Takes a free slot among <paramref name="slots"/> at <paramref name="host"/> for <paramref name="holder"/>.</summary>
    /// <returns>The slot number taken, or null when all are held.</returns>
    public async Task<int?> TryAcquireAsync(string host, int slots, string holder, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        var now = time.GetUtcNow();
        await using var connection = await connections.OpenAsync(cancellationToken);
        for (var slot = 0; slot < slots; slot++)
        {
            // Insert a new slot row, or take over one whose lease ran out; a live row is left alone (0 rows).
            await using var command = connection.Command(null, """
                INSERT INTO merchant_slots (host, slot, holder, lease_until) VALUES (@host, @slot, @holder, @until)
                ON CONFLICT (host, slot) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
                WHERE merchant_slots.lease_until < @now
                """);
            command.AddParameter("@host", host.ToLowerInvariant()).AddParameter("@slot", slot).AddParameter("@holder", holder)
                .AddParameter("@until", Timestamps.Format(now + lease)).AddParameter("@now", Timestamps.Format(now));
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return slot;
            }
        }
        return null;
    }

    /// <summary>Extends a held slot's lease.</summary>
    /// <returns>False when the slot is no longer this holder's (its lease ran out and another node took it).</returns>
    public async Task<bool> RenewAsync(string host, int slot, string holder, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null,
            "UPDATE merchant_slots SET lease_until = @until WHERE host = @host AND slot = @slot AND holder = @holder");
        command.AddParameter("@host", host.ToLowerInvariant()).AddParameter("@slot", slot).AddParameter("@holder", holder)
            .AddParameter("@until", Timestamps.Format(time.GetUtcNow() + lease));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Gives a slot back (nothing if it is no longer this holder's).</summary>
    public async Task ReleaseAsync(string host, int slot, string holder, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, "DELETE FROM merchant_slots WHERE host = @host AND slot = @slot AND holder = @holder");
        command.AddParameter("@host", host.ToLowerInvariant()).AddParameter("@slot", slot).AddParameter("@holder", holder);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>How many slots at <paramref name="host"/> are held now (for tests and the console).</summary>
    public async Task<int> HeldAsync(string host, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken);
        await using var command = connection.Command(null, "SELECT COUNT(*) FROM merchant_slots WHERE host = @host AND lease_until >= @now");
        command.AddParameter("@host", host.ToLowerInvariant()).AddParameter("@now", Timestamps.Format(time.GetUtcNow()));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The dialect in use, for callers that report it.</summary>
    public string Engine => dialect.Name;
}
