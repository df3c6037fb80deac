using CheckoutAgent.Link.Emulator;

namespace CheckoutAgent.Tests.LinkEmulator;

public class OptionsTests
{
    [TestCase("auto", EmulatorApprovalMode.Auto, 0)]
    [TestCase("DENY", EmulatorApprovalMode.Deny, 0)]
    [TestCase(" manual ", EmulatorApprovalMode.Manual, 0)]
    [TestCase("expire:30", EmulatorApprovalMode.Expire, 30)]
    public void ParseApproval_accepts_the_documented_forms(string text, EmulatorApprovalMode mode, int seconds)
    {
        Assert.That(LinkEmulatorOptions.ParseApproval(text, out var expireAfter), Is.EqualTo(mode));
        Assert.That(expireAfter, Is.EqualTo(TimeSpan.FromSeconds(seconds)));
    }

    [TestCase("never", "auto, deny, manual or expire:SECONDS")]
    [TestCase("", "auto, deny, manual or expire:SECONDS")]
    [TestCase("expire", "auto, deny, manual or expire:SECONDS")]
    [TestCase("expire:0", "1 to 86400")]
    [TestCase("expire:-5", "1 to 86400")]
    [TestCase("expire:abc", "1 to 86400")]
    public void ParseApproval_refuses_anything_else_saying_what_is_accepted(string text, string hint)
    {
        var ex = Assert.Throws<ArgumentException>(() => LinkEmulatorOptions.ParseApproval(text, out _));

        Assert.That(ex!.Message, Does.Contain(hint));
    }
}
