using System.CommandLine;
using System.Globalization;
using CheckoutAgent.Core.Recipes.Recording;
using CheckoutAgent.DemoMerchant;
using CheckoutAgent.Worker.Browser;
using CheckoutAgent.Worker.Demo;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.Recipes.Recording;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Cli;

/// <summary>
/// <c>checkout-agent recipe record URL --out recipes/NAME.yaml</c>: a person walks a checkout in a headed Chromium, and a
/// draft recipe is written from what they did, linted, and walked again with <c>recipe test --dry-run</c>.
/// </summary>
internal static class RecipeRecordCommand
{
    public static Command Create()
    {
        var url = new Argument<string?>("URL")
        {
            Description = "The product page to start at (it becomes navigate: ${job.product_url}). Not with --demo.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var output = new Option<string>("--out")
        {
            Description = "Where to write the recipe, e.g. recipes/acme.yaml. An existing file is kept unless --force.",
            Required = true,
        };
        var force = new Option<bool>("--force") { Description = "Overwrite --out if it exists." };
        var cdpPort = new Option<int?>("--cdp-port")
        {
            Description = "Also expose the recording browser on this 127.0.0.1 port, so automation (Playwright's ConnectOverCDPAsync(" +
                          "\"http://127.0.0.1:PORT\")) or an author on another machine (through an SSH tunnel) can drive it.",
        };
        cdpPort.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } port && port is < 1024 or > 65535)
            {
                result.AddError($"--cdp-port {port.ToString(CultureInfo.InvariantCulture)} is not a usable port; pick one from 1024 to 65535.");
            }
        });
        var demo = new Option<string?>("--demo")
        {
            Description = "Record against a local demo shop of this variant (started for the recording) instead of URL.",
        };
        demo.AcceptOnlyFromAmong([.. DemoVariants.All]);
        var noDryRun = new Option<bool>("--no-dry-run") { Description = "Write and lint the recipe, but do not walk it again with recipe test --dry-run." };
        var stepTimeout = new Option<int>("--step-timeout")
        {
            Description = "Seconds a step of the closing dry run may take (default 15).",
            DefaultValueFactory = _ => 15,
        };
        stepTimeout.InRange(1, 300, "--step-timeout must be from 1 to 300 seconds.");
        var dataDir = CommonOptions.DataDirectory();
        var command = new Command("record",
            "Open a headed Chromium at URL and record a draft recipe while you walk the checkout with the test identity it " +
            "prints, up to the confirmation page (or press Enter). Typed values become placeholders (${card.number}, " +
            "${buyer.email}, …) or a TODO that holds only their length: no card number, CVC or password is ever written. " +
            "Needs a display: on a server run it under xvfb-run with --cdp-port and drive it remotely. Then lints the " +
            "recipe and runs recipe test --dry-run on it. Exits 0 when both pass, 1 when not, 2 when it cannot start.")
        {
            url, output, force, cdpPort, demo, noDryRun, stepTimeout, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new RecordSettings
            {
                Url = parse.GetValue(url),
                OutPath = parse.GetValue(output)!,
                Force = parse.GetValue(force),
                CdpPort = parse.GetValue(cdpPort),
                Demo = parse.GetValue(demo),
                DryRun = !parse.GetValue(noDryRun),
                StepTimeout = TimeSpan.FromSeconds(parse.GetValue(stepTimeout)),
                DataDirectory = parse.GetValue(dataDir)!,
            };
            // The recorder's own lines (warnings) go to stderr; they hold locators and counts, never typed values.
            using var logging = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddFilter("CheckoutAgent", LogLevel.Warning));
            return await RecordAsync(settings, Console.Out, Console.Error, Console.In, logging.CreateLogger("CheckoutAgent.Worker.Recipes.Recording"), cancellationToken);
        });
        return command;
    }

    /// <summary>What <c>recipe record</c> was asked to do.</summary>
    internal sealed record RecordSettings
    {
        public string? Url { get; init; }
        public required string OutPath { get; init; }
        public bool Force { get; init; }
        public int? CdpPort { get; init; }
        public string? Demo { get; init; }
        public bool DryRun { get; init; } = true;
        public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(15);
        public string DataDirectory { get; init; } = ".checkout-agent";
        /// <value>The X display for the window; null: the environment's <c>DISPLAY</c>.</value>
        public string? Display { get; init; }
        /// <value>How long a walk may take before the recording stops by itself. Default 30 minutes.</value>
        public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(30);
    }

    /// <summary>Records, writes, lints and dry-runs. <paramref name="stdin"/>: a line there stops the recording (null: none).</summary>
    internal static async Task<int> RecordAsync(RecordSettings settings, TextWriter stdout, TextWriter stderr, TextReader? stdin, ILogger logger,
        CancellationToken cancellationToken)
    {
        if (Check(settings) is { } problem)
        {
            await stderr.WriteLineAsync($"checkout-agent recipe record: {problem}");
            return 2;
        }
        string executable;
        try
        {
            executable = ChromiumLocator.Find(null, headless: false);
        }
        catch (BrowserNotFoundException ex)
        {
            await stderr.WriteLineAsync($"checkout-agent recipe record: {ex.Message}");
            return 2;
        }
        if (ChromiumLocator.IsHeadlessShell(executable))
        {
            await stderr.WriteLineAsync(
                $"checkout-agent recipe record: {executable} is the headless shell, which cannot show a window to record in. " +
                "Install Debian's chromium ('sudo apt-get install chromium') and unset Browser__ExecutablePath, or point it at a full Chromium.");
            return 2;
        }

        DemoShop? shop = null;
        try
        {
            var startUrl = settings.Url!;
            IReadOnlyDictionary<string, string>? aliases = null;
            if (settings.Demo is { } name && DemoVariants.TryParse(name, out var variant))
            {
                // The walk places a real order at the local shop, so its issuer approves any test card.
                shop = await DemoShop.StartAsync(new DemoShopOptions { Variant = variant }, new ApprovingIssuer(), ct: cancellationToken);
                startUrl = shop.ProductUrl(DemoShopOptions.DefaultProducts[0].Sku).ToString();
                // The shop's card processor runs on a free port: the recipe names it by its stable demo alias.
                aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [shop.CardProcessorOrigin] = $"https://{DemoRunner.CardProcessorHost}" };
                await stdout.WriteLineAsync($"Demo shop ({variant.Name()}) listening on {shop.BaseUrl}, card processor on {shop.CardProcessorOrigin}");
            }
            var display = settings.Display ?? Environment.GetEnvironmentVariable("DISPLAY")!;
            await stdout.WriteLineAsync($"Recording {startUrl} in a headed Chromium ({executable}) on display {display}.");
            if (settings.CdpPort is { } port)
            {
                await stdout.WriteLineAsync(FormattableString.Invariant(
                    $"Automation can drive it: Playwright's ConnectOverCDPAsync(\"http://127.0.0.1:{port}\"), first context, first page."));
            }
            await stdout.WriteLineAsync("Walk the checkout as a buyer would, typing this test identity (anything else becomes a TODO in the recipe):");
            foreach (var line in RecordingIdentity.Default.Describe(TimeProvider.System))
            {
                await stdout.WriteLineAsync(line);
            }
            await stdout.WriteLineAsync("Place the order: the recording stops on the confirmation page. Press Enter here to stop earlier.");

            RecordedWalk walk;
            var classifier = new TypedValueClassifier(RecordingIdentity.Default, TimeProvider.System);
            await using (var session = await RecordingSession.StartAsync(new RecordingBrowser(executable, settings.CdpPort, display), startUrl, classifier, logger, cancellationToken))
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var enter = WaitForEnterAsync(stdin, stop.Token);
                var ended = await Task.WhenAny(session.Ended, enter, Task.Delay(settings.MaxDuration, stop.Token));
                if (cancellationToken.IsCancellationRequested)
                {
                    await stderr.WriteLineAsync("checkout-agent recipe record: canceled; nothing was written.");
                    return 1;
                }
                var reason = ended == session.Ended ? await session.Ended
                    : ended == enter ? "Enter was pressed"
                    : "the recording reached its time limit";
                await stop.CancelAsync();
                walk = await session.StopAsync(startUrl, reason, aliases);
                await stdout.WriteLineAsync($"Recording ended: {reason}; {walk.Actions.Count} action(s) seen.");
            }
            return await WriteAndCheckAsync(settings, walk, shop is null ? null : settings.Demo, stdout, stderr, logger, cancellationToken);
        }
        catch (PlaywrightException ex)
        {
            // Launch and navigation errors: no value has been typed yet when these can happen, and the text says why.
            await stderr.WriteLineAsync($"checkout-agent recipe record: the browser failed: {FirstLine(ex.Message)}");
            return 2;
        }
        finally
        {
            if (shop is not null)
            {
                await shop.DisposeAsync();
            }
        }
    }

    private static async Task<int> WriteAndCheckAsync(RecordSettings settings, RecordedWalk walk, string? demo, TextWriter stdout, TextWriter stderr,
        ILogger logger, CancellationToken cancellationToken)
    {
        RecipeDraftResult draft;
        try
        {
            draft = RecipeDraft.Build(walk);
        }
        catch (ArgumentException ex)
        {
            await stderr.WriteLineAsync($"checkout-agent recipe record: {ex.Message} Nothing was written.");
            return 1;
        }
        var path = Path.GetFullPath(settings.OutPath);
        // Written whole or not at all: a temporary file beside it, then moved into place.
        var temporary = path + ".recording";
        await File.WriteAllTextAsync(temporary, draft.Yaml, cancellationToken);
        File.Move(temporary, path, overwrite: settings.Force);
        Log.RecipeDrafted(logger, settings.OutPath, draft.StepCount, draft.Notes.Count);
        await stdout.WriteLineAsync($"Wrote {settings.OutPath}: {draft.StepCount} step(s).");
        foreach (var note in draft.Notes)
        {
            await stdout.WriteLineAsync($"  review: {note}");
        }
        var lint = RecipeCommand.Lint([settings.OutPath], stdout);
        if (!settings.DryRun)
        {
            return lint;
        }
        await stdout.WriteLineAsync($"Walking it again: recipe test {settings.OutPath} --dry-run{(demo is null ? "" : $" --demo {demo}")}");
        var origin = new Uri(walk.StartUrl).GetLeftPart(UriPartial.Authority);
        var test = await RecipeCommand.TestAsync(new RecipeCommand.RecipeTestSettings
        {
            RecipePath = settings.OutPath,
            Demo = demo,
            MerchantUrl = demo is null ? origin : null,
            ProductUrl = demo is null ? walk.StartUrl : null,
            StepTimeout = settings.StepTimeout,
            DataDirectory = settings.DataDirectory,
        }, stdout, stderr, cancellationToken);
        return lint == 0 && test == 0 ? 0 : 1;
    }

    /// <summary>A line on standard input (a person pressing Enter, or a script writing one). At its end (no terminal,
    /// or &lt;/dev/null) the recording goes on until the confirmation page.</summary>
    private static async Task WaitForEnterAsync(TextReader? stdin, CancellationToken cancellationToken)
    {
        if (stdin is not null && await stdin.ReadLineAsync(cancellationToken) is not null)
        {
            return;
        }
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    /// <summary>What is wrong with the settings before anything starts, or null.</summary>
    private static string? Check(RecordSettings settings)
    {
        if ((settings.Url is null) == (settings.Demo is null))
        {
            return "give the product page to start at (recipe record https://shop.example/p/42 --out recipes/shop.yaml) or --demo VARIANT, not both.";
        }
        if (settings.Url is not null && !(Uri.TryCreate(settings.Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            return $"'{settings.Url}' is not an http(s) address; give the product page's full address, e.g. https://shop.example/products/42.";
        }
        var extension = Path.GetExtension(settings.OutPath);
        if (extension is not (".yaml" or ".yml"))
        {
            return $"--out {settings.OutPath}: a recipe file ends in .yaml, e.g. recipes/acme.yaml.";
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(settings.OutPath))!;
        if (!Directory.Exists(folder))
        {
            return $"--out {settings.OutPath}: the folder {folder} does not exist; create it or write into recipes/.";
        }
        if (File.Exists(settings.OutPath) && !settings.Force)
        {
            return $"--out {settings.OutPath} exists; pass --force to overwrite it, or choose another name.";
        }
        if (string.IsNullOrEmpty(settings.Display ?? Environment.GetEnvironmentVariable("DISPLAY")))
        {
            return "no display to show the recording browser on (DISPLAY is not set). On a desktop, run it from a terminal of your session; " +
                   "on a server, run it under a virtual display and drive the browser from elsewhere: " +
                   "xvfb-run -a checkout-agent recipe record URL --out recipes/NAME.yaml --cdp-port 9222 " +
                   "(then ssh -L 9222:127.0.0.1:9222 and Playwright's ConnectOverCDPAsync(\"http://127.0.0.1:9222\")).";
        }
        return null;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end].TrimEnd();
    }

    /// <summary>The demo shop's issuer while recording: the person's walk ends on a confirmation page, with any test card.</summary>
    private sealed class ApprovingIssuer : IPaymentAuthorizer
    {
        public Task<PaymentDecision> AuthorizeAsync(PaymentAttempt attempt, CancellationToken cancellationToken) =>
            Task.FromResult(PaymentDecision.Approve());
    }
}
