using System.Collections.Concurrent;

namespace CheckoutAgent.Tests.Storage;

public class GroupCommitTests
{
    [Test]
    public async Task Callers_arriving_while_a_batch_is_written_share_the_next_batch_and_each_get_their_own_result()
    {
        var batches = new ConcurrentQueue<int>();
        using var group = new GroupCommit<int, int>(async items =>
        {
            batches.Enqueue(items.Count);
            await Task.Delay(20);
            return items.Select(i => i * 10).ToList();
        });

        var results = await Task.WhenAll(Enumerable.Range(1, 40).Select(i => Task.Run(() => group.RunAsync(i, CancellationToken.None))));

        Assert.That(results, Is.EqualTo(Enumerable.Range(1, 40).Select(i => i * 10)), "each caller gets the result for its own item");
        Assert.That(batches.Sum(), Is.EqualTo(40), "every item written exactly once");
        Assert.That(batches.Max(), Is.GreaterThan(1), "callers that waited were written together");
        Assert.That(batches, Has.Count.LessThan(40));
    }

    [Test]
    public async Task A_lone_caller_is_written_at_once_as_a_batch_of_one()
    {
        var sizes = new List<int>();
        using var group = new GroupCommit<string, string>(items =>
        {
            sizes.Add(items.Count);
            return Task.FromResult<IReadOnlyList<string>>(items.Select(i => i.ToUpperInvariant()).ToList());
        });

        Assert.That(await group.RunAsync("a", CancellationToken.None), Is.EqualTo("A"));
        Assert.That(await group.RunAsync("b", CancellationToken.None), Is.EqualTo("B"));
        Assert.That(sizes, Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public async Task A_failing_batch_fails_each_of_its_callers_and_the_next_batch_still_runs()
    {
        var calls = 0;
        using var group = new GroupCommit<int, int>(items =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("disk full") : Task.FromResult<IReadOnlyList<int>>([.. items]));

        Assert.That(async () => await group.RunAsync(1, CancellationToken.None), Throws.InvalidOperationException.With.Message.EqualTo("disk full"));
        Assert.That(await group.RunAsync(2, CancellationToken.None), Is.EqualTo(2));
    }
}
