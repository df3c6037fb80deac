namespace CheckoutAgent.Tests.LinkClient;

/// <summary>
/// A clock that only moves when told to. Timers (what <c>Task.Delay(…, TimeProvider)</c> uses) jump the clock forward
/// by their due time and fire at once, so polling loops run instantly yet see time pass exactly as scheduled.
/// Written here because Microsoft.Extensions.TimeProvider.Testing is not among the pinned packages.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now;
    private int _timersFired;

    public ManualTimeProvider(DateTimeOffset? start = null)
    {
        _now = start ?? new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    }

    /// <summary>Runs just before a timer fires, after the clock moved; lets a test act "while the caller sleeps".</summary>
    public Action<int>? BeforeTimerFires { get; set; }

    public int TimersFired
    {
        get
        {
            lock (_gate)
            {
                return _timersFired;
            }
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        lock (_gate)
        {
            _now += by;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            Advance(dueTime);
            int fired;
            lock (_gate)
            {
                fired = ++_timersFired;
            }
            BeforeTimerFires?.Invoke(fired);
            callback(state);
        }
        return new InertTimer();
    }

    private sealed class InertTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
