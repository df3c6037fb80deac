using System.Net;
using System.Text.Json.Nodes;

namespace CheckoutAgent.Tests.LinkEmulator;

public class SmokeTests : EmulatorTest
{
    [Test]
    public async Task Payment_details_lists_the_wallet()
    {
        var (status, json) = await GetAsync("/payment-details");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)json!["payment_details"]![0]!["id"], Is.EqualTo("csmrpd_sandbox_visa"));
    }

    [Test]
    public async Task Create_retrieve_cancel_over_http()
    {
        var id = await CreateAsync(CardBody());

        var (status, json) = await GetAsync($"/spend_requests/{id}");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)json!["status"], Is.EqualTo("pending_approval"));

        var (cancelStatus, canceled) = await PostAsync($"/spend_requests/{id}/cancel", null);
        Assert.That(cancelStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)canceled!["status"], Is.EqualTo("canceled"));
    }
}
