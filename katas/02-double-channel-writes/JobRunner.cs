using System.Text.Json;
using System.Threading.Channels;

namespace DoubleChannelWrites;

/// <summary>One risk check: read <paramref name="Field"/> of the hash <paramref name="Key"/> and report its score.</summary>
public sealed record Job(int JobId, string Key, string Field);

/// <summary>The outcome of one job: a score read from the store, or an error.</summary>
public sealed record JobResult(int JobId, double Score, string? SourceKey, string? Error);

/// <summary>
/// The risk-control job runner. One instance lives as long as the service. Every batch starts one worker
/// per job; workers report on the runner's bounded result channel, and the collector reads exactly one
/// result per job.
/// </summary>
public sealed class JobRunner(IScoreStore store, int channelCapacity = 32)
{
    private readonly Channel<JobResult> _results = Channel.CreateBounded<JobResult>(
        new BoundedChannelOptions(channelCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private int _activeWorkers;

    /// <summary>Workers started and not yet finished: the number to chart next to memory.</summary>
    public int ActiveWorkers => Volatile.Read(ref _activeWorkers);

    /// <summary>Results written to the channel that no collector has read.</summary>
    public int BufferedResults => _results.Reader.Count;

    public async Task<IReadOnlyList<JobResult>> RunBatchAsync(IReadOnlyList<Job> jobs, CancellationToken cancellationToken = default)
    {
        foreach (var job in jobs)
        {
            _ = Task.Run(() => ScoreAsync(job), CancellationToken.None); // one worker per job
        }

        var collected = new List<JobResult>(jobs.Count);
        while (collected.Count < jobs.Count)
        {
            collected.Add(await _results.Reader.ReadAsync(cancellationToken));
        }
        return collected;
    }

    private async Task ScoreAsync(Job job)
    {
        Interlocked.Increment(ref _activeWorkers);
        try
        {
            string json = await store.HashGetAsync(job.Key, job.Field);
            Dictionary<string, double> metrics = [];
            try
            {
                metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(json) ?? [];
            }
            catch (JsonException ex)
            {
                await _results.Writer.WriteAsync(new JobResult(job.JobId, 0, null, $"no usable data at {job.Key}/{job.Field}: {ex.Message}"));
                // KATA: the error has been reported. Is this worker done with the job now?
            }

            await _results.Writer.WriteAsync(new JobResult(job.JobId, metrics.GetValueOrDefault("score"), job.Key, null));
        }
        finally
        {
            Interlocked.Decrement(ref _activeWorkers);
        }
    }
}
