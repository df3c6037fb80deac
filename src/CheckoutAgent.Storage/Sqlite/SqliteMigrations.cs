namespace CheckoutAgent.Storage;

/// <summary>
/// The SQLite schema, version by version. 1 to 4 are the schema the unversioned releases created on every start
/// (<c>CREATE TABLE IF NOT EXISTS</c> and columns added if missing); a database from those releases is adopted at
/// version 4 (see <see cref="MigrationRunner"/>), so 1 to 4 must stay idempotent. New migrations go at the end.
/// Quartz's own tables are not here: Quartz provisions them.
/// </summary>
public static class SqliteMigrations
{
    /// <summary>The last version the unversioned releases had reached.</summary>
    public const int LegacyBaseline = 4;

    public static MigrationSet All { get; } = new(
    [
        new SqlMigration(1, "core_tables", """
            CREATE TABLE IF NOT EXISTS purchases (
                id               TEXT PRIMARY KEY,
                created_at       TEXT NOT NULL,
                updated_at       TEXT NOT NULL,
                status           TEXT NOT NULL,
                recipe           TEXT NOT NULL,
                request_json     TEXT NOT NULL,
                spend_request_id TEXT,
                outcome_json     TEXT
            );
            CREATE TABLE IF NOT EXISTS purchase_events (
                seq          INTEGER PRIMARY KEY AUTOINCREMENT,
                purchase_id  TEXT NOT NULL REFERENCES purchases(id),
                at           TEXT NOT NULL,
                kind         TEXT NOT NULL,
                message      TEXT NOT NULL,
                data_json    TEXT
            );
            CREATE INDEX IF NOT EXISTS ix_purchase_events_purchase ON purchase_events(purchase_id, seq);
            CREATE TABLE IF NOT EXISTS agents (
                id               TEXT PRIMARY KEY,
                name             TEXT NOT NULL UNIQUE,
                token_hash       TEXT NOT NULL UNIQUE,
                scopes           TEXT NOT NULL,
                webhook_secret   TEXT NOT NULL,
                policy_json      TEXT NOT NULL,
                created_at       TEXT NOT NULL,
                revoked_at       TEXT
            );
            CREATE TABLE IF NOT EXISTS idempotency_keys (
                agent_id       TEXT NOT NULL,
                key            TEXT NOT NULL,
                request_hash   TEXT NOT NULL,
                purchase_id    TEXT NOT NULL,
                status_code    INTEGER NOT NULL,
                response_json  TEXT NOT NULL,
                created_at     TEXT NOT NULL,
                PRIMARY KEY (agent_id, key)
            );
            CREATE TABLE IF NOT EXISTS settings (
                key    TEXT PRIMARY KEY,
                value  TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS schedules (
                id             TEXT PRIMARY KEY,
                agent_id       TEXT NOT NULL,
                name           TEXT NOT NULL,
                cron           TEXT NOT NULL,
                time_zone      TEXT NOT NULL,
                request_json   TEXT NOT NULL,
                paused         INTEGER NOT NULL DEFAULT 0,
                created_at     TEXT NOT NULL,
                updated_at     TEXT NOT NULL,
                UNIQUE (agent_id, name)
            );
            CREATE TABLE IF NOT EXISTS webhook_deliveries (
                id              TEXT PRIMARY KEY,
                purchase_id     TEXT NOT NULL,
                agent_id        TEXT,
                event_type      TEXT NOT NULL,
                url             TEXT NOT NULL,
                body            TEXT NOT NULL,
                created_at      TEXT NOT NULL,
                next_attempt_at TEXT NOT NULL,
                attempts        INTEGER NOT NULL DEFAULT 0,
                state           TEXT NOT NULL,
                lease_until     TEXT
            );
            CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
            """),
        // Who owns a purchase, what it spends and where: added after the first release.
        new AddColumnsMigration(2, "purchase_owner_and_amount", "purchases",
            ("agent_id", "TEXT"), ("schedule_id", "TEXT"), ("amount", "INTEGER"), ("currency", "TEXT"), ("merchant_host", "TEXT")),
        // Who holds a delivery's lease: a sender records its result only while the lease is still its own.
        new AddColumnsMigration(3, "webhook_lease_owner", "webhook_deliveries", ("lease_owner", "TEXT")),
        new SqlMigration(4, "purchase_indexes", """
            CREATE INDEX IF NOT EXISTS ix_purchases_agent ON purchases(agent_id, created_at, id);
            CREATE INDEX IF NOT EXISTS ix_purchases_status ON purchases(status);
            -- Covers the budget sums of intake: read from the index alone, without a table lookup per purchase.
            CREATE INDEX IF NOT EXISTS ix_purchases_spend ON purchases(agent_id, currency, created_at, status, amount);
            """),
        // Versioned from here on: plain DDL, applied exactly once.
        // Accounts the worker signs in to at a shop. secret and session are ciphertext the host encrypts; the
        // store never sees them in the clear.
        new SqlMigration(5, "merchant_accounts", """
            CREATE TABLE merchant_accounts (
                host          TEXT PRIMARY KEY,
                username      TEXT NOT NULL,
                secret        BLOB NOT NULL,
                has_totp      INTEGER NOT NULL,
                session       BLOB,
                created_at    TEXT NOT NULL,
                updated_at    TEXT NOT NULL,
                last_used_at  TEXT
            );
            """),
        new SqlMigration(6, StorageMigrations.RunFenceName, StorageMigrations.RunFenceSql),
        new SqlMigration(7, StorageMigrations.MerchantSlotsName, StorageMigrations.MerchantSlotsSql),
        StorageMigrations.AgentRotation,
        StorageMigrations.AgentAudit,
        StorageMigrations.RecipeChecks,
        StorageMigrations.ConsoleKeys,
    ], LegacyBaseline, LegacyMarkerTable: "purchases");
}
