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

    /// <summary>Rotation without downtime: the token (its hash) and webhook secret a rotation replaced, each with the end
    /// of its grace period.</summary>
    public static Migration AgentRotation { get; } = new AddColumnsMigration(8, "agent_rotation", "agents",
        ("previous_token_hash", "TEXT"), ("previous_token_expires_at", "TEXT"),
        ("previous_webhook_secret", "TEXT"), ("previous_webhook_secret_expires_at", "TEXT"));

    /// <summary>The owner's audit log (add, revoke, policy, rotations, pause): never a token or secret.</summary>
    public static Migration AgentAudit { get; } = new SqlMigration(9, "agent_audit", """
        CREATE INDEX ix_agents_previous_token ON agents(previous_token_hash);
        CREATE TABLE agent_audit (
            id          TEXT PRIMARY KEY,
            at          TEXT NOT NULL,
            action      TEXT NOT NULL,
            agent_id    TEXT,
            agent_name  TEXT,
            detail      TEXT NOT NULL,
            actor       TEXT NOT NULL
        );
        CREATE INDEX ix_agent_audit_at ON agent_audit(at);
        CREATE INDEX ix_agent_audit_agent ON agent_audit(agent_name, at);
        """);

    /// <summary>
    /// Recipe health checks: each walk of a recipe at its merchant up to its first card or account step, passed or
    /// failed (the step, what the page showed, a masked screenshot). Holds no typed values: a check types nothing secret.
    /// </summary>
    public static Migration RecipeChecks { get; } = new SqlMigration(10, "recipe_checks", """
        CREATE TABLE recipe_checks (
            id              TEXT PRIMARY KEY,
            recipe          TEXT NOT NULL,
            checked_at      TEXT NOT NULL,
            passed          INTEGER NOT NULL,
            code            TEXT NOT NULL,
            failed_step     INTEGER,
            step            TEXT,
            message         TEXT,
            page_state      TEXT,
            screenshot_path TEXT,
            duration_ms     INTEGER NOT NULL,
            trigger_kind    TEXT NOT NULL,
            alert           TEXT
        );
        CREATE INDEX ix_recipe_checks_recipe ON recipe_checks(recipe, checked_at);
        """);

    /// <summary>
    /// The operator console's data-protection keys (they sign and encrypt its session and anti-forgery cookies), shared
    /// by every node so a session works on all of them. Each key's XML is sealed with the account key before it is stored.
    /// </summary>
    public static Migration ConsoleKeys { get; } = new SqlMigration(11, "console_keys", """
        CREATE TABLE console_keys (
            name        TEXT PRIMARY KEY,
            xml         TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );
        """);
}
