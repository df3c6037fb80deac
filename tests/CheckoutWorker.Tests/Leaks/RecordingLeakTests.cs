using CheckoutAgent.Core.Recipes.Recording;

namespace CheckoutAgent.Tests.Leaks;

/// <summary>
/// <c>recipe record</c>'s outputs hold no typed secret, also when a value matches no placeholder: the classification
/// keeps only a placeholder name or a length, and the recipe, its review notes and the locator descriptions the recorder
/// logs are built from those. The browser half (the recipe file, terminal and logs of real recordings) is scanned in
/// tests/CheckoutWorker.Tests/Recipes/Recording/RecipeRecordTests.cs.
/// </summary>
public class RecordingLeakTests
{
    // Card numbers (valid and one digit off), CVCs, passwords and other text a person might type, placed or not.
    private static readonly (string Value, FieldHints Hints)[] Typed =
    [
        ("4000 0566 5566 5556", new FieldHints(Label: "Card number")),
        ("4000056655665557", new FieldHints(Label: "Card number")),
        ("4000056655665557", new FieldHints(Label: "Gift message")),
        ("737", new FieldHints(Label: "CVC")),
        ("7373", new FieldHints(Label: "Apartment")),
        ("11/31", new FieldHints(Label: "Expiry")),
        ("correct horse battery", new FieldHints(Label: "Password", InputType: "password")),
        ("correct horse battery", new FieldHints(Label: "Secret question answer")),
        ("someone.private@example.org", new FieldHints(Label: "Email")),
        ("JSBASE32SECRETXYZ", new FieldHints(Label: "Authenticator key")),
    ];

    [Test]
    public void RecipeNotesAndLogDescriptions_HoldNoTypedValue_PlacedOrNot()
    {
        var classifier = new TypedValueClassifier(RecordingIdentity.Default, TimeProvider.System);
        var actions = Typed.Select((t, i) => new RecordedAction(RecordedKind.Fill, i,
            [new LocatorCandidate(new LocatorSpec(Label: t.Hints.Label), 1)])
        {
            Value = classifier.Classify(t.Value, t.Hints, RecordedKind.Fill),
        }).Append(new RecordedAction(RecordedKind.Click, 99, [new LocatorCandidate(new LocatorSpec(Role: "button", Name: "Pay now"), 1)])).ToList();

        var draft = RecipeDraft.Build(new RecordedWalk("https://shop.example/p/1?session=abc", "Shop", actions, null));

        var outputs = string.Join('\n', [draft.Yaml, .. draft.Notes, .. actions.Select(RecipeDraft.Describe), .. actions.Select(a => a.ToString())]);
        foreach (var (value, _) in Typed)
        {
            Assert.That(outputs, Does.Not.Contain(value), value.Length + "-character value");
        }
        Assert.That(outputs, Does.Not.Contain("4000056655665556").And.Not.Contain("5556").And.Not.Contain("session=abc"));
        Assert.That(draft.Notes.Count(n => n.Contains("TODO: a typed value of", StringComparison.Ordinal)), Is.EqualTo(6),
            "the unplaced values are there as lengths, for the author to resolve");
    }
}
