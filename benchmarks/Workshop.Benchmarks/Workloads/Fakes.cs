using System.Globalization;
using DoubleChannelWrites;
using LingeringTasks;
using UnboundedCaches;

namespace Workshop.Benchmarks.Workloads;

/// <summary>Kata 04's slow store, made instant: renders a small HTML page per key.</summary>
public sealed class RenderingReportStore : IReportStore
{
    public Task<string> LoadAsync(string reportKey, CancellationToken cancellationToken) =>
        Task.FromResult($"<html><body><h1>Report {reportKey}</h1><p>Total: 50.00</p></body></html>");
}

/// <summary>Kata 05's quote API: answers asynchronously with a fixed price per symbol.</summary>
public sealed class FixedQuotes : IQuoteSource
{
    public async Task<decimal> GetPriceAsync(string symbol, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        return 100m + symbol.Length;
    }
}

/// <summary>Kata 02's input: a store with one score per job, except every tenth key, which is missing.</summary>
public static class ScoreBatch
{
    public static (InMemoryScoreStore Store, Job[] Jobs) Create(int jobs, int missingEvery = 10)
    {
        var store = new InMemoryScoreStore();
        var list = new Job[jobs];
        for (var id = 0; id < jobs; id++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"risk:user:{id}");
            if (id % missingEvery != 3)
            {
                store.HashSet(key, "profile", string.Create(CultureInfo.InvariantCulture, $$"""{"score":{{id % 97 / 100.0}},"hits":3}"""));
            }

            list[id] = new Job(id, key, "profile");
        }

        return (store, list);
    }

    /// <summary>Waits (at most <paramref name="limit"/>) until the runner's count of active workers has not moved for 100 ms.</summary>
    public static async Task SettleAsync(JobRunner runner, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var last = -1;
        var stableSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            var now = runner.ActiveWorkers;
            if (now != last)
            {
                last = now;
                stableSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - stableSince > TimeSpan.FromMilliseconds(100))
            {
                return;
            }

            await Task.Delay(10);
        }
    }
}
