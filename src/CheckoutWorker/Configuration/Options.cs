using System.ComponentModel.DataAnnotations;

namespace CheckoutAgent.Worker.Configuration;

/// <summary>Where the worker keeps its state and how much it does at once.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <value>Holds the SQLite database, logs and receipt screenshots. Default <c>./.checkout-agent</c>.</value>
    [Required]
    public string DataDirectory { get; set; } = ".checkout-agent";

    /// <value>Folder of merchant recipes. Default: <c>recipes/</c> of the repository (found upwards from the current directory), else beside the executable.</value>
    public string? RecipesDirectory { get; set; }

    /// <value>Purchases checked out at the same time (Quartz thread pool size). Default 2.</value>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 2;

    /// <value>Checkouts at one merchant host at the same time; more wait in line without a browser context. Default 2.</value>
    [Range(1, 64)]
    public int PerMerchantConcurrency { get; set; } = 2;

    /// <summary>The data directory as an absolute path.</summary>
    public string DataDirectoryFullPath => Path.GetFullPath(DataDirectory);

    /// <summary>The SQLite database holding Quartz's tables, purchases and their timelines.</summary>
    public string DatabasePath => Path.Combine(DataDirectoryFullPath, "checkout-agent.db");
}

/// <summary>How the worker reaches the person's Link wallet.</summary>
public sealed class LinkOptions
{
    public const string SectionName = "Link";

    /// <value><c>sandbox</c>: the in-process Link sandbox (the demo's default; no network). <c>cli</c>: the real
    /// <c>link-cli</c> as a child process, set up under <c>Link:Cli</c> (point it at Link, or at the emulator from
    /// <c>checkout-agent link-sandbox serve</c>).</value>
    [RegularExpression("^(sandbox|cli)$", ErrorMessage = "Link:Transport must be 'sandbox' (in-process) or 'cli' (link-cli as a child process, configured under Link:Cli).")]
    public string Transport { get; set; } = "sandbox";

    /// <value>How often a pending spend request is polled. Default 2 s, as link-cli's own hint.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ApprovalPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <value>How long to wait for the person to approve before giving up on this run. Default 30 min (Link's approval window).</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <value>Private (0700) folder for one-time card files. Default: on tmpfs (<c>$XDG_RUNTIME_DIR</c> or <c>/dev/shm</c>), one folder per data directory, so card files never touch a disk.</value>
    public string? CardDirectory { get; set; }
}

/// <summary>The browser that walks merchant checkouts.</summary>
public sealed class BrowserOptions
{
    public const string SectionName = "Browser";

    /// <value>Empty: for headless runs Debian's /usr/bin/chromium-headless-shell when installed (about half the CPU of the
    /// full browser), otherwise, and for headed runs, the first of /usr/bin/chromium, chromium-browser, google-chrome found
    /// on PATH. Set it to /usr/bin/chromium to force the full browser.</value>
    public string? ExecutablePath { get; set; }

    /// <value>Start Chromium when the worker starts instead of at the first checkout, so the first purchase does not
    /// wait for it (default false: an idle worker holds no browser).</value>
    public bool StartEarly { get; set; }

    /// <value>Headless (default true).</value>
    public bool Headless { get; set; } = true;

    /// <value>Default time one recipe step may take. Default 15 s.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <value>How long to wait for the merchant's answer after the final click. Default 30 s.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan OutcomeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <value>How long to wait, with the page open, for the card holder to confirm a payment (3-D Secure) once the
    /// recipe's <c>three_ds_required</c> outcome showed after the final click; then it ends
    /// <c>authentication_timeout</c>. Default 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AuthenticationTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
