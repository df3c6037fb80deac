using CheckoutAgent.Worker.Browser;

namespace CheckoutAgent.Tests.Browser;

/// <summary>Which Chromium a run launches: the headless shell for headless runs when installed, the full browser otherwise.</summary>
public class ChromiumLocatorTests : DataDirectoryTest
{
    private string? _forced;

    [SetUp]
    public void ClearForcedBinary()
    {
        // Browser__ExecutablePath forces a binary for the whole test run (scripts/test.sh runs the browser tests once with
        // each); these tests decide for themselves.
        _forced = Environment.GetEnvironmentVariable("Browser__ExecutablePath");
        Environment.SetEnvironmentVariable("Browser__ExecutablePath", null);
    }

    [TearDown]
    public void RestoreForcedBinary() => Environment.SetEnvironmentVariable("Browser__ExecutablePath", _forced);

    [Test]
    public void Find_Headless_PrefersTheHeadlessShellWhenInstalled()
    {
        Assume.That(File.Exists(ChromiumLocator.HeadlessShellPath), "Debian's chromium-headless-shell is not installed here");

        Assert.That(ChromiumLocator.Find(null, headless: true), Is.EqualTo(ChromiumLocator.HeadlessShellPath));
    }

    [Test]
    public void Find_Headed_NeverChoosesTheHeadlessShell()
    {
        Assume.That(File.Exists("/usr/bin/chromium"), "Debian's chromium is not installed here");

        var chosen = ChromiumLocator.Find(null, headless: false);

        Assert.That(chosen, Is.EqualTo("/usr/bin/chromium"));
        Assert.That(ChromiumLocator.IsHeadlessShell(chosen), Is.False);
    }

    [Test]
    public void Find_ConfiguredPath_WinsOverTheHeadlessShell()
    {
        var binary = Path.Combine(DataDirectory, "my-chromium");
        Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(binary, "");

        Assert.That(ChromiumLocator.Find(binary, headless: true), Is.EqualTo(binary));
    }

    [Test]
    public void Find_EnvironmentVariable_ForcesTheBinaryWhenNothingIsConfigured()
    {
        var binary = Path.Combine(DataDirectory, "chromium-from-env");
        Directory.CreateDirectory(DataDirectory);
        File.WriteAllText(binary, "");
        Environment.SetEnvironmentVariable("Browser__ExecutablePath", binary);

        Assert.That(ChromiumLocator.Find(null, headless: true), Is.EqualTo(binary));
    }

    [Test]
    public void Find_ConfiguredPathMissing_SaysWhatToFix()
    {
        var error = Assert.Throws<BrowserNotFoundException>(() => ChromiumLocator.Find("/nonexistent/chromium"));

        Assert.That(error!.Message, Does.Contain("Browser:ExecutablePath is set to '/nonexistent/chromium'").And.Contain("Fix the path"));
    }

    [TestCase("/usr/bin/chromium-headless-shell", "/usr/bin/chromium-headless-shell (headless shell)")]
    [TestCase("/usr/bin/chromium", "/usr/bin/chromium (full Chromium)")]
    public void Describe_NamesTheKindOfBinary(string path, string expected) =>
        Assert.That(ChromiumLocator.Describe(path), Is.EqualTo(expected));
}
