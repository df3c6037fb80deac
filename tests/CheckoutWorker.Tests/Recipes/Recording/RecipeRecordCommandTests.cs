using System.CommandLine;
using CheckoutAgent.Worker.Cli;
using Microsoft.Extensions.Logging.Abstractions;

namespace CheckoutAgent.Tests.Recipes.Recording;

/// <summary><c>recipe record</c>'s refusals: each says what is wrong and how to fix it, exits 2, and writes nothing.</summary>
public class RecipeRecordCommandTests : DataDirectoryTest
{
    private async Task<(int Exit, string Stderr)> RecordAsync(RecipeRecordCommand.RecordSettings settings)
    {
        Directory.CreateDirectory(DataDirectory);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = await RecipeRecordCommand.RecordAsync(settings with { DataDirectory = DataDirectory }, stdout, stderr, null, NullLogger.Instance, CancellationToken.None);
        Assert.That(stdout.ToString(), Is.Empty, "nothing started");
        return (exit, stderr.ToString());
    }

    private string Out(string name = "shop.yaml") => Path.Combine(DataDirectory, name);

    [Test]
    public async Task BadUrl_SaysItIsNotAnAddress()
    {
        var (exit, stderr) = await RecordAsync(new() { Url = "shop.example/p/1", OutPath = Out(), Display = ":0" });

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("'shop.example/p/1' is not an http(s) address").And.Contain("https://shop.example/products/42"));
    }

    [Test]
    public async Task NeitherUrlNorDemo_SaysGiveOne()
    {
        var (exit, stderr) = await RecordAsync(new() { OutPath = Out(), Display = ":0" });

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("give the product page to start at").And.Contain("--demo VARIANT"));
    }

    [Test]
    public async Task ExistingOut_IsKept_UnlessForce()
    {
        Directory.CreateDirectory(DataDirectory);
        await File.WriteAllTextAsync(Out(), "mine");

        var (exit, stderr) = await RecordAsync(new() { Url = "https://shop.example/p/1", OutPath = Out(), Display = ":0" });

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("exists; pass --force to overwrite it"));
        Assert.That(await File.ReadAllTextAsync(Out()), Is.EqualTo("mine"));
    }

    [Test]
    public async Task OutNotYaml_OrInAMissingFolder_IsRefused()
    {
        var (exit, stderr) = await RecordAsync(new() { Url = "https://shop.example/p/1", OutPath = Out("shop.txt"), Display = ":0" });
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("a recipe file ends in .yaml"));

        (exit, stderr) = await RecordAsync(new() { Url = "https://shop.example/p/1", OutPath = Path.Combine(DataDirectory, "nope", "shop.yaml"), Display = ":0" });
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("does not exist; create it"));
    }

    [Test]
    public async Task NoDisplay_SaysToUseXvfbRunWithACdpPort()
    {
        var (exit, stderr) = await RecordAsync(new() { Url = "https://shop.example/p/1", OutPath = Out(), Display = "" });

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("no display").And.Contain("xvfb-run -a checkout-agent recipe record").And.Contain("--cdp-port"));
    }

    [Test]
    [NonParallelizable]
    public async Task HeadlessShellForced_SaysItCannotShowAWindow()
    {
        var before = Environment.GetEnvironmentVariable("Browser__ExecutablePath");
        Environment.SetEnvironmentVariable("Browser__ExecutablePath", "/usr/bin/chromium-headless-shell");
        try
        {
            if (!File.Exists("/usr/bin/chromium-headless-shell"))
            {
                Assert.Ignore("needs Debian's chromium-headless-shell (make test installs it)");
            }
            var (exit, stderr) = await RecordAsync(new() { Url = "https://shop.example/p/1", OutPath = Out(), Display = ":0" });

            Assert.That(exit, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("is the headless shell, which cannot show a window").And.Contain("apt-get install chromium"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("Browser__ExecutablePath", before);
        }
    }

    [Test]
    public void Help_NamesCdpPortAndXvfb()
    {
        var output = new StringWriter();

        var exit = CliApp.Create().Parse(["recipe", "record", "--help"]).Invoke(new InvocationConfiguration { Output = output });

        Assert.That(exit, Is.Zero);
        Assert.That(output.ToString(), Does.Contain("Usage:").And.Contain("recipe record").And.Contain("--cdp-port").And.Contain("xvfb-run").And.Contain("--force"));
    }
}
