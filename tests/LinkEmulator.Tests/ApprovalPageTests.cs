using System.Net;
using System.Text.Json.Nodes;

namespace CheckoutAgent.Tests.LinkEmulator;

/// <summary>The approval page: the person's stand-in for the Link app.</summary>
public class ApprovalPageTests : EmulatorTest
{
    private static readonly HttpClient _browser = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    private async Task<HttpResponseMessage> AnswerAsync(string id, string decision, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Server.ApprovalPageUrl(id))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = decision }),
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return await _browser.SendAsync(request);
    }

    [Test]
    public async Task The_page_shows_merchant_amount_line_items_and_context_html_encoded()
    {
        var body = CardBody(amount: 2500);
        body["context"] = "<script>alert('x')</script> " + Context;
        body["line_items"] = new JsonArray(new JsonObject { ["name"] = "Blue <b>Widget</b>", ["quantity"] = 2, ["unit_amount"] = 1250 });
        var id = await CreateAsync(body);

        using var response = await _browser.GetAsync(Server.ApprovalPageUrl(id));
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"));
        Assert.That(html, Does.Contain("Shop Example").And.Contain("25.00 USD").And.Contain("12.50 USD"));
        Assert.That(html, Does.Contain("Blue &lt;b&gt;Widget&lt;/b&gt;"));
        Assert.That(html, Does.Contain("&lt;script&gt;"));
        Assert.That(html, Does.Not.Contain("<script>"));
        Assert.That(html, Does.Contain("value=\"approve\"").And.Contain("value=\"deny\""));
    }

    [Test]
    public async Task The_approval_url_of_a_request_is_its_page()
    {
        var id = await CreateAsync(CardBody());

        var (_, json) = await GetAsync($"/spend_requests/{id}");

        Assert.That((string?)json!["approval_url"], Is.EqualTo(Server.ApprovalPageUrl(id).AbsoluteUri));
    }

    [TestCase("approve", "approved")]
    [TestCase("deny", "denied")]
    public async Task Answering_on_the_page_changes_the_request(string decision, string expected)
    {
        var id = await CreateAsync(CardBody());

        using var response = await AnswerAsync(id, decision);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo(expected));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("value=\"approve\""), "no buttons once answered");
    }

    [Test]
    public async Task A_form_posted_from_another_site_is_refused_and_changes_nothing()
    {
        var id = await CreateAsync(CardBody());

        using var response = await AnswerAsync(id, "approve", origin: "https://evil.example");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("pending_approval"));
    }

    [Test]
    public async Task Answering_an_expired_request_is_a_409_page_and_changes_nothing()
    {
        var id = await CreateAsync(CardBody());
        Clock.Advance(TimeSpan.FromMinutes(30));

        using var response = await AnswerAsync(id, "approve");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("expired"));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("expired"));
    }

    [Test]
    public async Task An_unknown_request_page_is_a_404()
    {
        using var response = await _browser.GetAsync(Server.ApprovalPageUrl("lsrq_nope"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task A_decision_other_than_approve_or_deny_is_refused()
    {
        var id = await CreateAsync(CardBody());

        using var response = await AnswerAsync(id, "maybe");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)(await GetAsync($"/spend_requests/{id}")).Json!["status"], Is.EqualTo("pending_approval"));
    }
}
