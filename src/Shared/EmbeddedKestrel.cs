using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Hosting;

/// <summary>
/// A Kestrel server that lives inside another process: the demo shop and the Link emulator both run in the worker, in
/// tests and in benchmarks, and must behave the same whatever that process was started with.
/// </summary>
/// <remarks>
/// This file is linked into DemoMerchant and LinkEmulator (each compiles its own internal copy) rather than living in
/// either, or in a project of its own: the two must not reference each other, LinkEmulator depends only on LinkClient
/// and DemoMerchant on nothing of ours, and a project for twenty lines would add a node to a layering that is kept
/// deliberately small. Dependencies keep going one way; the code exists once.
/// </remarks>
internal static class EmbeddedKestrel
{
    /// <summary>
    /// An empty builder (no appsettings, environment, command line or logger of its own) serving with Kestrel and
    /// routing only, logging through <paramref name="loggerFactory"/>, sending no Server header, and leaving process
    /// signals to the host process.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(Type owner, ILoggerFactory loggerFactory, Action<KestrelServerOptions>? listen = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = owner.Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            listen?.Invoke(kestrel);
        });
        builder.Services.AddRoutingCore();
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
        // The default lifetime hooks Ctrl+C and SIGTERM for the whole process; the host process owns those, not us.
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, EmbeddedLifetime>());
        return builder;
    }

    /// <summary>
    /// Starts <paramref name="app"/> and runs <paramref name="started"/> (reading the bound addresses); if either
    /// fails, <paramref name="server"/> is disposed before the exception goes on.
    /// </summary>
    public static async Task<T> StartAsync<T>(T server, WebApplication app, Action started, CancellationToken cancellationToken)
        where T : IAsyncDisposable
    {
        try
        {
            await app.StartAsync(cancellationToken);
            started();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Lets the host start and stop without touching process signals.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
