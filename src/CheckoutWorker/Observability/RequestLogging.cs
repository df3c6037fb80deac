using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Serilog;

namespace CheckoutAgent.Worker.Observability;

/// <summary>
/// One event per API request through Serilog.AspNetCore's middleware: method, path, status, time and the calling
/// agent's name. Never the query string, a header or a body: those are the caller's (tokens, card-adjacent data).
/// </summary>
public static class RequestLogging
{
    /// <summary>The request event's template.</summary>
    public const string MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms for agent {Agent}";

    /// <summary>Adds the request-logging middleware, writing through the worker's (masking) logger from the services.</summary>
    /// <param name="app">The API's pipeline; the middleware goes where this is called, around what follows.</param>
    /// <param name="agentName">The authenticated agent's name once the request ran, or null.</param>
    public static IApplicationBuilder UseCheckoutRequestLogging(this IApplicationBuilder app, Func<HttpContext, string?> agentName)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(agentName);
        // The middleware would otherwise write to the static Log.Logger, which this worker never sets.
        var logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
        return app.UseSerilogRequestLogging(options =>
        {
            options.Logger = logger;
            options.MessageTemplate = MessageTemplate;
            options.IncludeQueryInRequestPath = false;
            options.EnrichDiagnosticContext = (diagnostics, context) => diagnostics.Set("Agent", agentName(context));
        });
    }
}
