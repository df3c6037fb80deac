namespace CheckoutAgent.Tests.EndToEnd;

/// <summary>The heuristic scan for card numbers the test cannot know: what it finds, and the ids it must not take for one.</summary>
public sealed class LeakScannerTests
{
    [TestCase("{\"number\":\"4242424242424242\"}", "•••• 4242")]
    [TestCase("card 4242 4242 4242 4242 typed", "•••• 4242")]
    [TestCase("pan=4000-0566-5566-5556;", "•••• 5556")]
    [TestCase("NON_CLUSTERED4242424242424242", null)]
    [TestCase("4242424242424241", null)]
    [TestCase("14242424242424242", null)]
    public void FindVisaLikeNumbers_FindsLuhnValidVisaRuns_NotDigitsGluedToAName(string text, string? expected) =>
        Assert.That(LeakScanner.FindVisaLikeNumbers(text), expected is null ? Is.Empty : Is.EqualTo(new[] { expected }));
}
