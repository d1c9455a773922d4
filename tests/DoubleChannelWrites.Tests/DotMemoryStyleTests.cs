using System.Runtime.CompilerServices;
using HeapAssert.DotMemoryStyle;

namespace DoubleChannelWrites.Tests;

/// <summary>
/// The kata's memory check as a dotMemory Unit test, ported by one <c>using</c>: it runs under a plain <c>dotnet test</c>.
/// dotMemory Unit has no notion of a pending async method, so the workers' state machines are matched by their generated
/// name (a class in the Debug builds the workshop runs).
/// </summary>
public sealed class DotMemoryStyleTests
{
    [Fact]
    [Trait("Memory", "leak")]
    [DotMemoryUnit(FailIfRunWithoutSupport = true)]
    public void A_batch_leaves_no_worker_waiting()
    {
        var (store, jobs) = ScoreBatch.Create(jobCount: 1_000, missingEvery: 10);
        var runner = new JobRunner(store);

        var results = RunBatch(runner, jobs);
        Thread.Sleep(500); // let the workers finish: a dotMemory check looks once, it does not wait and retry

        dotMemory.Check(memory =>
        {
            Assert.True(memory.GetObjects(where => where.Type.Like("DoubleChannelWrites.JobRunner+<ScoreAsync>*")).ObjectsCount == 0,
                "no ScoreAsync worker may be alive once a batch of 1,000 jobs, 100 of them with a missing key, has had its "
                + "1,000 results collected");
            Assert.True(memory.GetObjects(where => where.Type.Like("System.Threading.Channels.BlockedWriteAsyncOperation*")).ObjectsCount <= 1,
                "at most one BlockedWriteAsyncOperation (the one a bounded channel keeps for reuse) may be alive once a batch "
                + "of 1,000 jobs has had its 1,000 results collected");
        });

        results.Should().HaveCount(jobs.Count, "the collector must return one result per job of the batch");
        GC.KeepAlive(runner);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IReadOnlyList<JobResult> RunBatch(JobRunner runner, IReadOnlyList<Job> jobs) =>
        Bounded.Run(token => runner.RunBatchAsync(jobs, token), TimeSpan.FromSeconds(30), $"collecting the results of a batch of {jobs.Count:N0} jobs");
}
