using System.Threading.Channels;
using DoubleChannelWrites;
using DoubleChannelWrites.Tests;
using HeapAssert;

namespace Workshop.Benchmarks.Growth;

/// <summary>
/// Kata 02: one long-lived runner, one batch of 500 jobs per step, every tenth key missing. Counts the writers parked
/// in the runner's bounded result channel once the batch is collected and the workers have settled.
/// </summary>
public sealed class DoubleChannelWritesGrowth : GrowthWorkload
{
    private const int JobsPerStep = 500;

    internal static readonly Type BlockedWriter = typeof(Channel).Assembly
        .GetType("System.Threading.Channels.BlockedWriteAsyncOperation`1", throwOnError: true)!
        .MakeGenericType(typeof(JobResult));

    public override string Kata => "02-double-channel-writes";

    public override string Measure => "live BlockedWriteAsyncOperation<JobResult>";

    public override string Unit => "jobs";

    public override async Task RunAsync(int steps, Action<long> measured, CancellationToken cancellationToken)
    {
        var (store, jobs) = ScoreBatch.Create(JobsPerStep, missingEvery: 10);
        var runner = new JobRunner(store);
        for (var step = 1; step <= steps; step++)
        {
            await runner.RunBatchAsync(jobs, cancellationToken);
            await SettleAsync(runner, TimeSpan.FromSeconds(5));
            measured((long)step * JobsPerStep);
        }
    }

    // Waits (at most limit) until the runner's count of active workers has not moved for 100 ms.
    private static async Task SettleAsync(JobRunner runner, TimeSpan limit)
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

    public override Indicator Count(HeapSnapshot heap)
    {
        var writers = heap.Objects(BlockedWriter);
        return new Indicator(writers.Count, writers.Bytes);
    }
}
