using BenchmarkDotNet.Attributes;
using Workshop.Benchmarks.Growth;
using Workshop.Benchmarks.Workloads;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// Kata 05: one operation is a hub's whole life: 20 subscriptions, every subscriber gets its first price, the hub is
/// disposed. The poll interval is 30 minutes, so a loop the leaky hub leaves behind just waits on its timer (no CPU)
/// until the benchmark process exits; a fixed number of invocations per iteration keeps their number bounded.
/// </summary>
[FullRun(invocations: 64)]
public class LingeringTasksBenchmarks
{
    private const int Subscribers = 20;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(30);
    private readonly FixedQuotes _quotes = new();

    [GlobalSetup]
    public void Setup() => RetainedProbe.Measure(typeof(LingeringTasksBenchmarks), "05-lingering-tasks");

    [Benchmark(Description = "hub lifetime (20 subscriptions)")]
    public Task HubLifetime() => LingeringTasksGrowth.SubscribeThenDisposeAsync(_quotes, Subscribers, PollInterval, CancellationToken.None);
}
