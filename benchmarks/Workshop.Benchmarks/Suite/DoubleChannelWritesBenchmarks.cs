using BenchmarkDotNet.Attributes;
using DoubleChannelWrites;
using DoubleChannelWrites.Tests;

namespace Workshop.Benchmarks.Suite;

/// <summary>
/// Kata 02: batches of 100 risk checks (every tenth key missing) on one runner. Each iteration gets a fresh runner and
/// runs 32 batches on it, so the leaky runner's stuck workers pile up within an iteration (up to about 290) and are
/// released with the runner when the next iteration starts: memory stays bounded however long the run.
/// </summary>
[FullRun(invocations: 32)]
public class DoubleChannelWritesBenchmarks
{
    private const int Jobs = 100;
    private InMemoryScoreStore _store = null!;
    private List<Job> _jobs = null!;
    private JobRunner _runner = null!;

    [GlobalSetup]
    public void Setup()
    {
        RetainedProbe.Measure(typeof(DoubleChannelWritesBenchmarks), "02-double-channel-writes");
        (_store, _jobs) = ScoreBatch.Create(Jobs, missingEvery: 10);
    }

    [IterationSetup]
    public void NewRunner() => _runner = new JobRunner(_store);

    [Benchmark(Description = "RunBatchAsync (100 jobs, 10 missing)")]
    public Task<IReadOnlyList<JobResult>> RunBatch() => _runner.RunBatchAsync(_jobs);
}
