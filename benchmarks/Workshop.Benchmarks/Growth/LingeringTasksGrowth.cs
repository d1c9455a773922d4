using System.Globalization;
using HeapAssert;
using LingeringTasks;
using Workshop.Benchmarks.Workloads;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// Kata 05: per step, a hub gets 50 subscribers, every one receives its first price, and the hub is disposed.
/// Counts the polling loops (PollAsync state machines) that are still pending afterwards.
/// </summary>
public sealed class LingeringTasksGrowth : GrowthWorkload
{
    private const int SubscribersPerStep = 50;

    // Long enough that a loop nobody cancels just waits: a timer, no CPU. It ends with the process.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(30);

    public override string Kata => "05-lingering-tasks";

    public override string Measure => "pending PollAsync";

    public override string Unit => "subscriptions";

    public override async Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken)
    {
        var quotes = new FixedQuotes();
        for (var step = 1; step <= steps; step++)
        {
            await SubscribeThenDisposeAsync(quotes, SubscribersPerStep, PollInterval, cancellationToken);
            measured((long)step * SubscribersPerStep);
        }
    }

    public override Indicator Count(HeapSnapshot heap)
    {
        // A pending async method is its box, plus (in a Debug build of the kata) the state machine object the box holds.
        var pending = heap.PendingAsyncMethods(typeof(PriceFeedHub).Assembly)
            .Where(m => m.Method.Contains("PollAsync", StringComparison.Ordinal))
            .Sum(m => (long)m.Count);
        var bytes = CountTypes(heap, name => name.Contains("<PollAsync>", StringComparison.Ordinal)).Bytes;
        return new Indicator(pending, pending == 0 ? 0 : bytes);
    }

    /// <summary>A hub's whole life: subscribe, wait until every subscriber has its first price, dispose.</summary>
    internal static async Task SubscribeThenDisposeAsync(FixedQuotes quotes, int subscribers, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        var hub = new PriceFeedHub(quotes, pollInterval);
        var waiting = subscribers;
        var everyoneServed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < subscribers; i++)
        {
            var served = 0;
            hub.Subscribe(string.Create(CultureInfo.InvariantCulture, $"SYM{i % 20:D2}"), _ =>
            {
                if (Interlocked.Exchange(ref served, 1) == 0 && Interlocked.Decrement(ref waiting) == 0)
                {
                    everyoneServed.TrySetResult();
                }
            });
        }

        await everyoneServed.Task.WaitAsync(cancellationToken);
        await hub.DisposeAsync();
    }
}
