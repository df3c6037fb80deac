using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.DemoMerchant.Tests;

/// <summary>Stands in for the issuer (the Link sandbox in the real wiring) and remembers every attempt.</summary>
internal sealed class RecordingAuthorizer(Func<PaymentAttempt, PaymentDecision> decide) : IPaymentAuthorizer
{
    private readonly ConcurrentQueue<PaymentAttempt> _attempts = new();

    public IReadOnlyList<PaymentAttempt> Attempts => [.. _attempts];

    public static RecordingAuthorizer Approving() => new(_ => PaymentDecision.Approve());

    public Task<PaymentDecision> AuthorizeAsync(PaymentAttempt attempt, CancellationToken cancellationToken)
    {
        _attempts.Enqueue(attempt);
        return Task.FromResult(decide(attempt));
    }
}

/// <summary>Keeps every formatted log line, so a test can prove card data never reaches the logs.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
        }
    }
}

/// <summary>A clock that stands still where a test puts it (timers still run on real time).</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
