using System.ComponentModel.DataAnnotations;

namespace CheckoutAgent.Link.Cli;

/// <summary>How <see cref="LinkCliClient"/> runs <c>link-cli</c>.</summary>
public sealed class LinkCliOptions
{
    /// <summary>Configuration section the worker binds these options from.</summary>
    public const string SectionName = "Link:Cli";

    /// <value>The executable: a name looked up on PATH or an absolute path. Default <c>link-cli</c> (installed with
    /// <c>npm install -g @stripe/link-cli</c>).</value>
    [Required]
    public string ExecutablePath { get; set; } = "link-cli";

    /// <value>Arguments put before every command, for an executable that needs them (e.g. <c>dotnet</c> with
    /// <c>/path/link-cli.dll</c>, or <c>npx</c> with <c>@stripe/link-cli</c>). Empty by default.</value>
    public IList<string> LeadingArguments { get; } = [];

    /// <value>The credentials file passed as <c>--auth</c>, so several identities can live side by side. Null: link-cli's
    /// own choice (<c>LINK_AUTH_FILE</c>, else <c>~/.config/link-cli-nodejs/config.json</c>). When set, inherited
    /// <c>LINK_ACCESS_TOKEN</c>/<c>LINK_REFRESH_TOKEN</c> are removed from the child's environment so this file is what
    /// is used.</value>
    public string? AuthFile { get; set; }

    /// <value>Link's API base (<c>LINK_API_BASE_URL</c>), e.g. a Link emulator. Null: link-cli's default
    /// (<c>https://api.link.com</c>) or whatever the environment says.</value>
    public Uri? ApiBaseUrl { get; set; }

    /// <value>Link's OAuth base (<c>LINK_AUTH_BASE_URL</c>). Null: link-cli's default (<c>https://login.link.com</c>).</value>
    public Uri? AuthBaseUrl { get; set; }

    /// <value>Extra environment variables for the child process (never card data). Applied last, except that
    /// <c>NO_UPDATE_NOTIFIER=1</c> is always set.</value>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <value>How long one CLI call may take before it is killed (polling calls get their polling time on top).
    /// Default 60 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <value>The longest single <c>spend-request retrieve --interval … --timeout …</c> round while waiting for approval;
    /// after a <c>POLLING_TIMEOUT</c> the same request is polled again until the deadline. Default 5 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PollRound { get; set; } = TimeSpan.FromMinutes(5);

    /// <value>Where relative card file paths given to <see cref="LinkCliClient.WaitForApprovalAsync"/> are placed; it is
    /// created (or tightened) with mode 0700. Null: relative paths resolve against the current directory.</value>
    public string? CardDirectory { get; set; }
}
