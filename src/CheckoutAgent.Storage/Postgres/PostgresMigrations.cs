namespace CheckoutAgent.Storage;

/// <summary>
/// The PostgreSQL schema, version for version the same as <see cref="SqliteMigrations"/> (same numbers, same names,
/// this engine's types: <c>BIGINT</c> amounts, <c>BYTEA</c> for ciphertext, an identity column for the event sequence).
/// Moments stay ISO-8601 text as on SQLite (see <see cref="Timestamps"/>), so the stores' SQL is the same on both.
/// There is no legacy baseline: no PostgreSQL database predates versioning. New migrations go at the end, in both sets.
/// </summary>
public static class PostgresMigrations
{
    public static MigrationSet All { get; } = new(
    [
        new SqlMigration(1, "core_tables", """
            CREATE TABLE purchases (
                id               TEXT PRIMARY KEY,
                created_at       TEXT NOT NULL,
                updated_at       TEXT NOT NULL,
                status           TEXT NOT NULL,
                recipe           TEXT NOT NULL,
                request_json     TEXT NOT NULL,
                spend_request_id TEXT,
                outcome_json     TEXT
            );
            CREATE TABLE purchase_events (
                seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                purchase_id  TEXT NOT NULL REFERENCES purchases(id),
                at           TEXT NOT NULL,
                kind         TEXT NOT NULL,
                message      TEXT NOT NULL,
                data_json    TEXT
            );
            CREATE INDEX ix_purchase_events_purchase ON purchase_events(purchase_id, seq);
            CREATE TABLE agents (
                id               TEXT PRIMARY KEY,
                name             TEXT NOT NULL UNIQUE,
                token_hash       TEXT NOT NULL UNIQUE,
                scopes           TEXT NOT NULL,
                webhook_secret   TEXT NOT NULL,
                policy_json      TEXT NOT NULL,
                created_at       TEXT NOT NULL,
                revoked_at       TEXT
            );
            CREATE TABLE idempotency_keys (
                agent_id       TEXT NOT NULL,
                key            TEXT NOT NULL,
                request_hash   TEXT NOT NULL,
                purchase_id    TEXT NOT NULL,
                status_code    INTEGER NOT NULL,
                response_json  TEXT NOT NULL,
                created_at     TEXT NOT NULL,
                PRIMARY KEY (agent_id, key)
            );
            CREATE TABLE settings (
                key    TEXT PRIMARY KEY,
                value  TEXT NOT NULL
            );
            CREATE TABLE schedules (
                id             TEXT PRIMARY KEY,
                agent_id       TEXT NOT NULL,
                name           TEXT NOT NULL,
                cron           TEXT NOT NULL,
                time_zone      TEXT NOT NULL,
                request_json   TEXT NOT NULL,
                paused         BIGINT NOT NULL DEFAULT 0,
                created_at     TEXT NOT NULL,
                updated_at     TEXT NOT NULL,
                UNIQUE (agent_id, name)
            );
            CREATE TABLE webhook_deliveries (
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
            CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
            """),
        new SqlMigration(2, "purchase_owner_and_amount", """
            ALTER TABLE purchases ADD COLUMN agent_id TEXT, ADD COLUMN schedule_id TEXT, ADD COLUMN amount BIGINT,
                ADD COLUMN currency TEXT, ADD COLUMN merchant_host TEXT;
            """),
        new SqlMigration(3, "webhook_lease_owner", "ALTER TABLE webhook_deliveries ADD COLUMN lease_owner TEXT;"),
        new SqlMigration(4, "purchase_indexes", """
            CREATE INDEX ix_purchases_agent ON purchases(agent_id, created_at, id);
            CREATE INDEX ix_purchases_status ON purchases(status);
            CREATE INDEX ix_purchases_spend ON purchases(agent_id, currency, created_at, status, amount);
            """),
        new SqlMigration(5, "merchant_accounts", """
            CREATE TABLE merchant_accounts (
                host          TEXT PRIMARY KEY,
                username      TEXT NOT NULL,
                secret        BYTEA NOT NULL,
                has_totp      BIGINT NOT NULL,
                session       BYTEA,
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
    ]);
}
