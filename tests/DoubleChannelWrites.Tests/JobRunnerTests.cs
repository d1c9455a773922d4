using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace DoubleChannelWrites.Tests;

public sealed class JobRunnerTests
{
    private const string Hints = "katas/02-double-channel-writes/README.md, section Hints";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    // The operation a bounded channel parks a writer in while the buffer is full. The writer keeps one
    // for reuse, so one instance per live channel is normal; every other one is a writer still waiting.
    private static readonly Type BlockedWriter = typeof(Channel).Assembly
        .GetType("System.Threading.Channels.BlockedWriteAsyncOperation`1", throwOnError: true)!
        .MakeGenericType(typeof(JobResult));

    [Fact]
    public void Every_job_with_data_gets_its_score()
    {
        var (store, jobs) = ScoreBatch.Create(jobCount: 200, missingEvery: 0);
        var runner = new JobRunner(store);

        var results = RunBatch(runner, jobs);

        results.Select(r => r.JobId).Should().BeEquivalentTo(jobs.Select(j => j.JobId));
        results.Should().OnlyContain(r => r.Error == null && Math.Abs(r.Score - ScoreBatch.ExpectedScore(r.JobId)) < 1e-9);
    }

    [Fact]
    public void A_missing_key_gets_an_error_result()
    {
        var (store, _) = ScoreBatch.Create(jobCount: 0, missingEvery: 0);
        var runner = new JobRunner(store);

        var results = RunBatch(runner, [new Job(7, "risk:user:7", "profile")]);

        results.Should().ContainSingle().Which.Error.Should().Contain("risk:user:7/profile");
    }

    [Fact]
    public void Malformed_data_gets_an_error_result()
    {
        var store = new InMemoryScoreStore();
        store.HashSet("risk:user:8", "profile", """{"score": 0.4""");
        var runner = new JobRunner(store);

        var results = RunBatch(runner, [new Job(8, "risk:user:8", "profile")]);

        results.Should().ContainSingle().Which.Error.Should().NotBeNull();
    }

    [Fact]
    [Trait("Memory", "leak")]
    public void A_batch_with_missing_keys_leaves_no_worker_and_no_result_behind()
    {
        const int jobCount = 1_000;
        var (store, jobs) = ScoreBatch.Create(jobCount, missingEvery: 10);
        var runner = new JobRunner(store); // lives as long as the service, like the original's runner
        var baseline = Heap.Snapshot();

        var results = RunBatch(runner, jobs);

        // 1. goleak's check: every worker of the batch has finished.
        Heap.Check(heap => heap.Should().HaveNoLingeringWorkFrom(typeof(JobRunner).Assembly, baseline,
            because: $"each of the {jobCount:N0} workers writes one result and ends, and the collector has read {results.Count:N0}; " +
                     $"a worker still waiting on the result channel will wait forever, and keeps its job and results alive (hints: {Hints})"));

        // 2. No writer is parked in the channel (also catches a write that is started and never awaited).
        Heap.Check(heap => heap.Should().HaveAtMost(1).LiveInstancesOf(BlockedWriter,
            because: $"a bounded channel keeps one write operation for reuse, and any other one is a write nobody will ever read (hints: {Hints})"));

        // 3. Nothing is left in the channel for the next batch to pick up.
        var leftOver = runner.BufferedResults;
        if (leftOver != 0)
        {
            Leak.Fail($"{leftOver:N0} JobResult left in the runner's result channel after a batch of {jobCount:N0} jobs",
                details: "The channel belongs to the runner, so they stay for the life of the service, and the next batch's " +
                         "collector will read them as results of its own jobs.",
                because: $"every job writes exactly one result and the collector reads exactly one per job (hints: {Hints})");
        }

        // 4. The work itself: one result per job, and the right one.
        var problems = Problems(jobs, results, missingEvery: 10);
        problems.Should().BeEmpty("every job must get exactly one result: an error when its key is missing, " +
                                  "its score otherwise. A missing key scored 0 lets a risky user through");

        GC.KeepAlive(runner);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IReadOnlyList<JobResult> RunBatch(JobRunner runner, IReadOnlyList<Job> jobs) =>
        Bounded.Run(token => runner.RunBatchAsync(jobs, token), Limit,
            $"collecting the results of a batch of {jobs.Count:N0} jobs");

    private static List<string> Problems(IReadOnlyList<Job> jobs, IReadOnlyList<JobResult> results, int missingEvery)
    {
        var byJob = results.ToLookup(r => r.JobId);
        var problems = new List<string>();
        foreach (var job in jobs)
        {
            var mine = byJob[job.JobId].ToList();
            if (mine.Count != 1)
            {
                problems.Add($"job {job.JobId}: {mine.Count} results");
            }
            else if (ScoreBatch.IsMissing(job.JobId, missingEvery) && mine[0].Error == null)
            {
                problems.Add($"job {job.JobId} (key missing): score {mine[0].Score} and no error");
            }
            else if (!ScoreBatch.IsMissing(job.JobId, missingEvery) && (mine[0].Error != null || Math.Abs(mine[0].Score - ScoreBatch.ExpectedScore(job.JobId)) > 1e-9))
            {
                problems.Add($"job {job.JobId}: expected score {ScoreBatch.ExpectedScore(job.JobId)}, got {mine[0]}");
            }
        }
        var ids = jobs.Select(j => j.JobId).ToHashSet();
        var strangers = results.Count(r => !ids.Contains(r.JobId));
        if (strangers > 0)
        {
            problems.Add($"{strangers} results for jobs not in this batch");
        }
        return problems;
    }
}
