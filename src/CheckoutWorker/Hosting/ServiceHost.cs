using CheckoutAgent.Worker.Api;
using CheckoutAgent.Worker.Observability;
using CheckoutAgent.Worker.OperatorConsole;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using CheckoutAgent.Worker.Configuration;

namespace CheckoutAgent.Worker.Hosting;

/// <summary>The worker plus its HTTP API on Kestrel: what <c>checkout-agent serve</c> runs.</summary>
public static class ServiceHost
{
    /// <summary>Where <c>serve</c> listens unless told otherwise: loopback only, so nothing off this machine reaches it.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8417";

    /// <summary>How long a graceful stop may take: running checkouts finish their current step (at most a step timeout).</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(45);

    public static WebApplication Build(WorkerHostSettings settings, string urls)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        var worker = WorkerHost.Configure(builder, settings);
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var console = builder.Configuration.GetSection(ConsoleOptions.SectionName).Get<ConsoleOptions>() ?? new ConsoleOptions();
        if (console.Enabled)
        {
            builder.Services.AddConsoleAuth(console);
        }
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Bad clients must not hurt others: small bodies and headers, slow senders dropped.
            kestrel.Limits.MaxRequestBodySize = ApiEndpoints.MaxBodyBytes * 2;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
            kestrel.Limits.MaxConcurrentConnections = 1024;
            kestrel.AddServerHeader = false;
        });
        // A checkout asked to stop finishes its current step (at most a step timeout) before the host gives up on it.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSingleton<ApiRateLimiter>();
        builder.Services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "CheckoutAgent API";
            document.Info.Description = "Queue purchases that a person approves in Stripe Link and headless Chromium checks out. " +
                "Every call but /v1/health needs 'Authorization: Bearer <agent token>' with the scope the operation names.";
            return Task.CompletedTask;
        }).AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestBodyType>().FirstOrDefault() is { } body)
            {
                var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellationToken);
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
                };
            }
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredScope>().FirstOrDefault() is { } scope)
            {
                operation.Description = $"Needs a bearer token with the '{scope.Scope}' scope.";
            }
        }));
        var app = builder.Build();
        // Method, path, status and time only: bodies, headers and query strings are the caller's and stay out of the log.
        app.UseCheckoutRequestLogging(context => context.Items.Values.OfType<Agent>().FirstOrDefault()?.Name);
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapCheckoutApi();
        if (console.Enabled)
        {
            // The operator console (/console): cookie sessions for people; the API above still takes bearer tokens only.
            app.UseConsoleHeaders();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapConsole();
        }
        app.MapFallback((HttpContext context) => ApiResults.Error(404, new ApiError(ApiErrorCodes.NotFound,
            $"no endpoint {context.Request.Method} {context.Request.Path}; the API lives under /v1 and is described at /openapi/v1.json")));
        return app;
    }
}
