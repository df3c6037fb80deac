using System.Diagnostics.Metrics;
using CheckoutAgent.Worker.Recipes;

namespace CheckoutAgent.Worker.Bench;

/// <summary>
/// Sums the recipe runner's <see cref="RecipeMetrics"/> (browser calls and steps before the final click) while
/// <see cref="Listening"/>: the benchmark turns it on for its measured blocks only, so warm-up purchases are not counted.
/// </summary>
internal sealed class RecipeCallCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _browserCalls;
    private long _steps;
    private volatile bool _listening;

    public RecipeCallCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RecipeMetrics.MeterName
                && instrument.Name is RecipeMetrics.BrowserCallsName or RecipeMetrics.StepsName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (!Listening)
            {
                return;
            }
            if (instrument.Name == RecipeMetrics.BrowserCallsName)
            {
                Interlocked.Add(ref _browserCalls, value);
            }
            else
            {
                Interlocked.Add(ref _steps, value);
            }
        });
        _listener.Start();
    }

    /// <value>Whether measurements are summed now.</value>
    public bool Listening
    {
        get => _listening;
        set => _listening = value;
    }

    public long BrowserCalls => Interlocked.Read(ref _browserCalls);

    public long Steps => Interlocked.Read(ref _steps);

    public void Dispose() => _listener.Dispose();
}
