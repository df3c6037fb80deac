namespace CheckoutAgent.Tests;

/// <summary>
/// The one "wait until X or time out" loop of the tests: look, and if it is not there yet, wait a little and look again.
/// </summary>
/// <remarks>
/// Linked into each test project that waits on something (see their .csproj): tests projects do not reference each
/// other, and a project for one small class would be more build than code.
/// </remarks>
internal static class Poll
{
    /// <summary>
    /// Calls <paramref name="look"/> every <paramref name="interval"/> until <paramref name="done"/> accepts what it
    /// returned, or until <paramref name="timeout"/> has passed since the first look (there is always one more look
    /// at the end). Returns whether it was done and the last thing seen.
    /// </summary>
    public static async Task<(bool Done, T Last)> TryUntilAsync<T>(
        Func<Task<T>> look, Func<T, bool> done, TimeSpan timeout, TimeSpan interval)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var last = await look();
            if (done(last))
            {
                return (true, last);
            }
            if (DateTime.UtcNow > deadline)
            {
                return (false, last);
            }
            await Task.Delay(interval);
        }
    }

    /// <summary>As <see cref="TryUntilAsync{T}"/>, failing the test with <paramref name="failure"/> (given the last thing seen) on time-out.</summary>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> look, Func<T, bool> done, TimeSpan timeout, TimeSpan interval, Func<T, string> failure)
    {
        var (reached, last) = await TryUntilAsync(look, done, timeout, interval);
        if (!reached)
        {
            Assert.Fail(failure(last));
        }
        return last;
    }

    /// <summary>Waits until <paramref name="condition"/> holds; false when <paramref name="timeout"/> passed first.</summary>
    public static async Task<bool> TryUntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan interval) =>
        (await TryUntilAsync(() => Task.FromResult(condition()), held => held, timeout, interval)).Done;

    /// <summary>Waits until <paramref name="condition"/> holds; fails the test with <paramref name="failure"/> on time-out.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan interval, Func<string> failure)
    {
        if (!await TryUntilAsync(condition, timeout, interval))
        {
            Assert.Fail(failure());
        }
    }
}
