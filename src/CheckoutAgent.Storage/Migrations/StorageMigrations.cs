namespace CheckoutAgent.Storage;

/// <summary>Migrations whose SQL is the same on every engine, shared by <see cref="SqliteMigrations"/> and <see cref="PostgresMigrations"/>.</summary>
internal static class StorageMigrations
{
    public const string RunFenceName = "purchase_run_fence";

    /// <summary>
    /// Who runs a purchase: each run takes the purchase by raising <c>run_epoch</c> and every move it makes afterwards
    /// is conditional on that epoch still being its own. A node that was only slow (declared dead by Quartz, its job
    /// recovered elsewhere) wakes up fenced off: it can no longer record <c>submitting</c>, so it cannot click.
    /// </summary>
    public const string RunFenceSql = """
        ALTER TABLE purchases ADD COLUMN run_epoch INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE purchases ADD COLUMN run_owner TEXT;
        """;

    public const string MerchantSlotsName = "merchant_slots";

    /// <summary>
    /// The per-merchant checkout limit across every node: one row per slot in use at a host, held under a lease the
    /// holder renews. A node that dies stops renewing, and its slot frees itself when the lease runs out.
    /// </summary>
    public const string MerchantSlotsSql = """
        CREATE TABLE merchant_slots (
            host         TEXT NOT NULL,
            slot         INTEGER NOT NULL,
            holder       TEXT NOT NULL,
            lease_until  TEXT NOT NULL,
            PRIMARY KEY (host, slot)
        );
        """;
}
