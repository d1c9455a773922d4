using System.Runtime.CompilerServices;
using System.Threading.Channels;
using FluentAssertions.Execution;

namespace DoubleChannelWrites.Tests;

public sealed class JobRunnerTests
{
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

        // In job order: the results come in the order the workers finish (an unordered equivalence of 200 ids takes a second).
        results.Select(r => r.JobId).Order().Should().Equal(
            jobs.Select(j => j.JobId), "each of the 200 jobs of the batch must get exactly one result");
        results.Should().OnlyContain(
            r => r.Error == null && Math.Abs(r.Score - ScoreBatch.ExpectedScore(r.JobId)) < 1e-9,
            "a job whose key holds a score must get that score and no error");
    }

    [Fact]
    public void A_missing_key_gets_an_error_result()
    {
        var (store, _) = ScoreBatch.Create(jobCount: 0, missingEvery: 0);
        var runner = new JobRunner(store);

        var results = RunBatch(runner, [new Job(7, "risk:user:7", "profile")]);

        results.Should().ContainSingle("a batch of one job must get exactly one result");
        using (new AssertionScope("the error of job 7, whose key risk:user:7 is not in the store,"))
        {
            results[0].Error.Should().NotBeNull("a job whose key is missing must get an error result, not a score of 0")
                .And.Contain("risk:user:7/profile", "the error must name the key and field the job looked up");
        }
    }

    [Fact]
    public void Malformed_data_gets_an_error_result()
    {
        var store = new InMemoryScoreStore();
        store.HashSet("risk:user:8", "profile", """{"score": 0.4""");
        var runner = new JobRunner(store);

        var results = RunBatch(runner, [new Job(8, "risk:user:8", "profile")]);

        results.Should().ContainSingle("a batch of one job must get exactly one result");
        using (new AssertionScope("the error of job 8, whose data is cut off,"))
        {
            results[0].Error.Should().NotBeNull("a job whose data cannot be read must get an error result, not a score");
        }
    }

    [Fact]
    public void The_result_channel_stays_bounded_when_nobody_reads_it()
    {
        const int capacity = 4;
        var (store, jobs) = ScoreBatch.Create(jobCount: 50, missingEvery: 0);
        var gated = new GatedStore(store);
        var runner = new JobRunner(gated, capacity);

        // The collector gives up before any worker has its data; then every worker writes, and nobody reads.
        var collector = Bounded.Run(async token =>
        {
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(token);
            var batch = runner.RunBatchAsync(jobs, giveUp.Token);
            await giveUp.CancelAsync();
            try
            {
                await batch;
                return "returned its results";
            }
            catch (OperationCanceledException)
            {
                return "was cancelled";
            }
        }, Limit, "a batch of 50 jobs whose collector gives up at once");
        collector.Should().Be("was cancelled", "a collector cancelled before any worker had its data cannot return the batch's results");

        gated.Open();
        var buffered = Bounded.Run(async token =>
        {
            while (gated.Reads < jobs.Count || runner.BufferedResults < capacity)
            {
                await Task.Delay(10, token);
            }

            await Task.Delay(200, token); // a channel that is not bounded would keep filling up meanwhile
            return runner.BufferedResults;
        }, Limit, $"50 workers writing their results with nobody reading");

        buffered.Should().Be(capacity, "the runner's result channel must hold at most its capacity ({0}) of results when nobody "
            + "reads them, however many workers write", capacity);
        GC.KeepAlive(runner);
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
        var work = $"a batch of {jobCount:N0} jobs ({jobCount / 10:N0} with a missing key) whose {results.Count:N0} results were all collected";

        // 1. goleak's check: every worker of the batch has finished.
        Heap.Check(heap => heap.Should().After(work).HaveNoLingeringWorkFrom(typeof(JobRunner).Assembly, baseline,
            because: "every worker of the batch should have ended by the time the batch has all its results, and one that "
                     + "is still waiting keeps its job and its results alive for as long as the runner lives"));

        // 2. No writer is parked in the channel (also catches a write that is started and never awaited).
        Heap.Check(heap => heap.Should().After(work).HaveAtMost(1).LiveInstancesOf(BlockedWriter,
            because: "a bounded channel keeps one write operation for reuse, and every other one is a write parked until "
                     + "someone reads, which no one will"));

        // 3. Nothing is left in the channel for the next batch to pick up.
        var leftOver = runner.BufferedResults;
        if (leftOver != 0)
        {
            Leak.Fail($"{leftOver:N0} JobResult left in the runner's result channel after {work}, expected none",
                details: "The channel belongs to the runner, so they stay for the life of the service, and the next batch's " +
                         "collector will read them as results of its own jobs.",
                because: "the collector reads as many results as the batch has jobs, and no more");
        }

        // 4. The work itself: one result per job, and the right one.
        var problems = Problems(jobs, results, missingEvery: 10);
        using (new AssertionScope("the list of jobs whose result is missing, doubled or wrong"))
        {
            problems.Should().BeEmpty("every job must get exactly one result: an error when its key is missing, " +
                                      "its score otherwise. A missing key scored 0 lets a risky user through");
        }

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

    /// <summary>The score store behind a gate: every read waits until the test opens it.</summary>
    private sealed class GatedStore(IScoreStore inner) : IScoreStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public void Open() => _gate.TrySetResult();

        public async Task<string> HashGetAsync(string key, string field)
        {
            await _gate.Task;
            var json = await inner.HashGetAsync(key, field);
            Interlocked.Increment(ref _reads);
            return json;
        }
    }
}
