using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CheckoutAgent.Tests.Recipes.Recording;

/// <summary>Keeps every log line (all levels, exceptions included) so a test can scan them for leaks.</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public int Count => _lines.Count;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)} {state} {exception}");
}
