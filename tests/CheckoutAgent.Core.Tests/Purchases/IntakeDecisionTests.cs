using System.Text.Json;
using CheckoutAgent.Core.Agents;
using CheckoutAgent.Core.Purchases;

namespace CheckoutAgent.Tests.Purchases;

/// <summary>Intake's decisions without a database: key replay, policy against the facts, a refused purchase's shape.</summary>
public class IntakeDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 15, 30, 0, TimeSpan.Zero);

    private static PurchaseRequest Request(long amount = 2400, string? callback = null) => new()
    {
        Recipe = "demo-shop",
        MerchantUrl = "https://shop.example.com",
        Items = [new PurchaseItem("Coffee beans", 2, amount / 2, null)],
        Amount = amount,
        Context = new string('x', 120),
        CallbackUrl = callback,
    };

    private static Agent Bot(AgentPolicy? policy = null) =>
        new("agt_1", "shopping-bot", [Scopes.PurchasesWrite], policy ?? new AgentPolicy(), "whsec_test", Now.AddDays(-1), null);

    [Test]
    public void A_new_key_is_no_repeat() =>
        Assert.That(IntakeDecision.Repeat(null, "hash"), Is.Null);

    [Test]
    public void The_same_key_and_body_replays_the_first_response_byte_for_byte()
    {
        var result = IntakeDecision.Repeat(new StoredIntake("hash", "pur_1", 201, "{\"id\":\"pur_1\"}"), "hash")!;
        Assert.That(result.Disposition, Is.EqualTo(IntakeDisposition.Replayed));
        Assert.That(result.StatusCode, Is.EqualTo(201));
        Assert.That(result.ResponseJson, Is.EqualTo("{\"id\":\"pur_1\"}"));
    }

    [Test]
    public void The_same_key_with_another_body_is_refused_with_409()
    {
        var result = IntakeDecision.Repeat(new StoredIntake("hash", "pur_1", 201, "{}"), "other")!;
        Assert.That(result.Disposition, Is.EqualTo(IntakeDisposition.KeyReused));
        Assert.That(result.StatusCode, Is.EqualTo(409));
    }

    [Test]
    public void An_allowed_purchase_is_queued_with_its_policy_event_and_the_response_shows_it()
    {
        var decided = IntakeDecision.Decide(Request(), new PurchaseIntake(Bot(), "k", "h", "shop.example.com"), new IntakeFacts(false, 0, 0), "pur_1", Now);

        Assert.That(decided.Decision.Allowed, Is.True);
        Assert.That(decided.Record.Status, Is.EqualTo(PurchaseStatus.Queued));
        Assert.That(decided.Record.AgentId, Is.EqualTo("agt_1"));
        Assert.That(decided.Events.Select(e => e.Kind), Is.EqualTo(new[] { "queued", "policy" }));
        Assert.That(decided.Events[0].Message, Does.Contain("by agent shopping-bot"));
        Assert.That(decided.QueueWebhook, Is.False);
        using var response = JsonDocument.Parse(decided.ResponseJson);
        Assert.That(response.RootElement.GetProperty("id").GetString(), Is.EqualTo("pur_1"));
        Assert.That(response.RootElement.GetProperty("status").GetString(), Is.EqualTo("queued"));
    }

    [Test]
    public void Spending_counted_in_flight_refuses_what_would_pass_the_daily_budget()
    {
        var policy = new AgentPolicy { DailyBudget = 5000 };
        var intake = new PurchaseIntake(Bot(policy), null, null, "shop.example.com");

        var fits = IntakeDecision.Decide(Request(2400), intake, new IntakeFacts(false, 2600, 2600), "pur_1", Now);
        var over = IntakeDecision.Decide(Request(2400), intake, new IntakeFacts(false, 2601, 2601), "pur_2", Now);

        Assert.That(fits.Decision.Allowed, Is.True, fits.Decision.Reason);
        Assert.That(over.Decision.Allowed, Is.False);
        Assert.That(over.Record.Status, Is.EqualTo(PurchaseStatus.Failed));
        Assert.That(over.Record.Outcome!.Code, Is.EqualTo(FailureCodes.PolicyRefused));
        Assert.That(over.Events.Select(e => e.Kind), Is.EqualTo(new[] { "queued", "policy", "failed" }));
        Assert.That(over.Events[1].Message, Does.Contain("Link was not asked"));
    }

    [Test]
    public void A_refused_purchase_with_a_callback_queues_its_webhook_at_once()
    {
        var intake = new PurchaseIntake(Bot(new AgentPolicy { MaxPerPurchase = 1000 }), null, null, "shop.example.com");
        Assert.That(IntakeDecision.Decide(Request(2400, "https://hooks.example.com/x"), intake, new IntakeFacts(false, 0, 0), "pur_1", Now).QueueWebhook, Is.True);
        Assert.That(IntakeDecision.Decide(Request(2400), intake, new IntakeFacts(false, 0, 0), "pur_2", Now).QueueWebhook, Is.False);
    }

    [Test]
    public void The_global_pause_refuses_even_a_local_caller_but_budgets_do_not_apply_to_it()
    {
        var local = new PurchaseIntake(null, null, null, "shop.example.com");
        Assert.That(IntakeDecision.Decide(Request(), local, new IntakeFacts(true, 0, 0), "pur_1", Now).Decision.Allowed, Is.False);
        Assert.That(IntakeDecision.Decide(Request(), local, new IntakeFacts(false, long.MaxValue / 2, long.MaxValue / 2), "pur_2", Now).Decision.Allowed, Is.True);
    }

    [Test]
    public void A_schedule_s_purchase_says_so_in_its_first_event() =>
        Assert.That(IntakeDecision.Decide(Request(), new PurchaseIntake(Bot(), null, null, "shop.example.com", "sch_9"), new IntakeFacts(false, 0, 0), "pur_1", Now)
            .Events[0].Message, Does.Contain("by schedule sch_9"));

    [Test]
    public void Budget_windows_are_the_utc_day_and_month()
    {
        var (day, month) = IntakeDecision.BudgetWindows(new DateTimeOffset(2026, 12, 3, 23, 30, 0, TimeSpan.FromHours(-5)));
        Assert.That(day, Is.EqualTo(new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero)));
        Assert.That(month, Is.EqualTo(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)));
    }
}
