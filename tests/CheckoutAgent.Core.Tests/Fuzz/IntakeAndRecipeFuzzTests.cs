using System.Text.Json;
using CheckoutAgent.Core.Intake;
using CheckoutAgent.Core.Recipes;
using CsCheck;

namespace CheckoutAgent.Tests.Fuzz;

/// <summary>
/// Property-based fuzzing of the parsers behind every input: purchase and schedule bodies and recipe YAML. Thousands
/// of generated and mutated inputs each end in named errors (field or file:line) or a valid result, never an
/// unhandled exception, and no error quotes the planted card number unmasked. Each test prints how many inputs it tried.
/// </summary>
public sealed class IntakeAndRecipeFuzzTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private const string PurchaseSeed = """
        {"recipe":"demo-shop","merchant_url":"https://shop.example.com","items":[{"name":"Dripper","quantity":2,"unit_amount":1200,"product_url":"https://shop.example.com/p/1"}],
         "amount":2400,"currency":"usd","context":"Buying one pour-over dripper for the office kitchen, as asked in ticket 42; a one-time purchase.",
         "buyer":{"email":"jane@example.com","name":"Jane Doe","phone":"+1 555 0100"},
         "shipping":{"name":"Jane Doe","line1":"510 Townsend St","city":"San Francisco","state":"CA","postal_code":"94103","country":"US"},
         "callback_url":"https://hooks.example.com/x","metadata":{"ticket":"42"}}
        """;

    [Test]
    public void PurchaseAndScheduleBodies_AnyMutation_GiveFieldErrorsOrARequest_NeverAnException()
    {
        var tried = 0;
        var refused = 0;
        Gen.OneOf(Mutations.OfJson(PurchaseSeed), Mutations.OfText(PurchaseSeed)).Sample(text =>
        {
            Interlocked.Increment(ref tried);
            if (!Mutations.IsJson(text))
            {
                return;
            }
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            var (request, errors) = PurchaseBody.Parse(document.RootElement);
            Assert.That(request is null, Is.EqualTo(errors.Count > 0), "a request or its errors, never both or neither");
            if (errors.Count > 0)
            {
                Interlocked.Increment(ref refused);
            }
            foreach (var error in errors)
            {
                Assert.That(error.Message, Does.Not.Contain(Mutations.PlantedCardNumber), "no error echoes a card number unmasked");
                Assert.That(error.Code, Is.Not.Empty);
            }
            using var schedule = JsonDocument.Parse($$"""{"name":"weekly","cron":"0 9 * * 1","purchase":{{text}}}""", new JsonDocumentOptions { MaxDepth = 64 });
            var (draft, scheduleErrors) = ScheduleBody.Parse(schedule.RootElement, Now);
            Assert.That(draft is null, Is.EqualTo(scheduleErrors.Count > 0));
            Assert.That(scheduleErrors.Select(e => e.Field), Has.All.Null.Or.StartWith("purchase"));
        }, iter: Mutations.Iterations(4000), threads: 1);
        TestContext.Out.WriteLine($"fuzz: {tried} purchase bodies tried ({refused} refused with field errors), each also as a schedule's purchase");
        Assert.That(refused, Is.GreaterThan(tried / 10), "the mutations reach the validators");
    }

    [Test]
    public void ScheduleFields_AnyValue_GiveFieldErrorsOrADraft_NeverAnException()
    {
        var seed = $$"""{"name":"weekly-coffee","cron":"0 9 * * 1","time_zone":"Europe/Paris","purchase":{{PurchaseSeed}}}""";
        var tried = 0;
        Mutations.OfJson(seed).Sample(text =>
        {
            Interlocked.Increment(ref tried);
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            var (draft, errors) = ScheduleBody.Parse(document.RootElement, Now);
            Assert.That(draft is null, Is.EqualTo(errors.Count > 0));
            Assert.That(errors.Select(e => e.Message), Has.None.Contain(Mutations.PlantedCardNumber));
        }, iter: Mutations.Iterations(2000), threads: 1);
        TestContext.Out.WriteLine($"fuzz: {tried} schedule bodies tried");
    }

    [Test]
    public void RecipeYaml_AnyMutation_LoadsOrFailsWithANamedRecipeError()
    {
        var seed = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "recipes", "demo-shop.yaml"));
        var tried = 0;
        var refused = 0;
        Mutations.OfText(seed).Sample(yaml =>
        {
            Interlocked.Increment(ref tried);
            try
            {
                RecipeLoader.Parse(yaml, "fuzz.yaml");
            }
            catch (RecipeException ex)
            {
                Interlocked.Increment(ref refused);
                Assert.That(ex.Message, Does.StartWith("fuzz.yaml"), "the error names the file (and line)");
                Assert.That(ex.Message, Does.Not.Contain(Mutations.PlantedCardNumber));
            }
        }, iter: Mutations.Iterations(3000), threads: 1);
        TestContext.Out.WriteLine($"fuzz: {tried} recipe files tried ({refused} refused with a named error)");
        Assert.That(refused, Is.GreaterThan(0));
    }
}
